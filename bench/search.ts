/**
 * Search benchmark: ingests 1,000,000 discovered files into a real LevelDB
 * (rate), reopens the store (index rebuild time), then times a set of
 * queries (median, p95). Run: `npx node bench/search.ts [--files N]`.
 */
import { createHash } from 'node:crypto'
import { parseArgs } from 'node:util'
import type { ProviderRecord, SharedFileEntry } from '../protocols/fetch/index.ts'
import { DiscoveredFiles } from '../src/discovered-files.ts'
import type { DiscoveredFileRecord } from '../src/discovered-files.ts'
import type { SearchQuery } from '../src/search/index.ts'
import { Store } from '../src/store.ts'
import type { Section } from '../src/store.ts'
import { silentLogger, tempStore } from '../test/fixtures/search.ts'

const { values } = parseArgs({ options: { files: { type: 'string', default: '1000000' } } })
const fileCount = Number(values.files)
const PROVIDERS = 10

// A seeded generator, so every run indexes the same names.
let seed = 42
const random = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
  return seed / 2_147_483_648
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
const syllables = ['ba', 'be', 'lo', 'ri', 'ta', 'mon', 'sil', 'ver', 'da', 'no', 'ca', 'shi', 'ul', 'tre', 'gon', 'fa', 'zu', 'pe', 'ki', 'ra']
const vocabulary = Array.from({ length: 30_000 }, () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(syllables)).join(''))
vocabulary.push('beatles', 'help', 'canción', 'yesterday', 'report', 'holiday')
const word = (): string => pick(vocabulary)
const capital = (text: string): string => text[0].toUpperCase() + text.slice(1)

// A mix like a real network: albums, photos with unique camera numbers, documents, videos, archives.
function nameFor (index: number): string {
  switch (index % 5) {
    case 0: return `${capital(word())} ${capital(word())} - ${capital(word())} ${word()} (${1960 + index % 60}) ${String(index % 20).padStart(2, '0')}.${pick(['mp3', 'flac', 'ogg'])}`
    case 1: return `IMG_${20100101 + index % 1_000_000}_${String(index).padStart(7, '0')}.${pick(['jpg', 'png', 'heic'])}`
    case 2: return `${capital(word())} ${word()} ${word()} v${index % 9}.${pick(['pdf', 'docx', 'txt', 'epub'])}`
    case 3: return `${capital(word())}.${capital(word())}.${1990 + index % 30}.1080p.${pick(['mkv', 'mp4', 'avi'])}`
    default: return `${word()}-${word()}-backup-${index}.${pick(['zip', 'tar', '7z', 'bin'])}`
  }
}

function recordsFor (count: number): ProviderRecord[] {
  const records: ProviderRecord[] = Array.from({ length: PROVIDERS }, (_, index) => ({
    peerId: `12D3KooWBenchProvider${index}`,
    addresses: [`/ip4/127.0.0.1/tcp/${4000 + index}`],
    files: [] as SharedFileEntry[],
    hops: 1
  }))
  for (let index = 0; index < count; index++) {
    const id = createHash('sha256').update(String(index)).digest('hex')
    records[index % PROVIDERS].files.push({ id, name: nameFor(index), size: 1000 + index, type: 'other' })
  }
  return records
}

const queries: SearchQuery[] = [
  { text: 'beatles' }, { text: 'beat' }, { text: 'help' }, { text: 'cancion' }, { text: 'yesterday' },
  { text: 'holiday report' }, { text: 'img 2010' }, { text: '1080p' }, { text: 'backup' }, { text: 'zzzz' },
  { text: 'bamon' }, { text: 'silver' }, { text: 'tre' }, { text: 'ka' }, { text: 'a' },
  { text: 'lo ri' }, { text: 'shi', type: 'music' }, { text: 'ver', type: 'pdf' }, { type: 'video' }, { type: 'flac' },
  { type: 'archive' }, { text: '1999', type: 'video' }, { text: vocabulary[10] }, { text: vocabulary[999] }, { text: `${vocabulary[5]} ${vocabulary[6]}` },
  { text: 'IMG_20100505' }, { text: 'v3' }, { text: 'mp3' }, { text: 'nothing-like-this' }, { text: 'daca' }
]

const percentile = (sorted: number[], fraction: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]
const ms = (value: number): string => `${value.toFixed(2)} ms`

const section = (target: Store): Section<DiscoveredFileRecord> => target.section<DiscoveredFileRecord>('discoveredFiles')

/** Ingests the generated records into a fresh store; the records and that index are garbage afterwards. */
async function ingestPhase (store: Store): Promise<void> {
  const records = recordsFor(fileCount)
  const files = new DiscoveredFiles({ files: section(store), logger: silentLogger() })
  await files.open()
  const started = performance.now()
  const { files: accepted } = await files.ingest(records)
  const ingestMs = performance.now() - started
  console.log(`ingest: ${accepted} files in ${ms(ingestMs)} → ${Math.round(accepted / ingestMs * 1000)} files/s (target ≥ 50,000)`)
}

const { store, location, remove } = await tempStore('bench-search')
try {
  await ingestPhase(store)
  await store.close()
  const reopened = new Store(location)
  await reopened.open()
  const files = new DiscoveredFiles({ files: section(reopened), logger: silentLogger() })
  let started = performance.now()
  await files.open()
  console.log(`open (index rebuilt from LevelDB): ${files.size} files in ${ms(performance.now() - started)}`)
  globalThis.gc?.()
  const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`
  console.log(`memory after open${globalThis.gc === undefined ? ' (run with --expose-gc for a figure after GC)' : ''}: heap used ${mib(process.memoryUsage().heapUsed)}, rss ${mib(process.memoryUsage().rss)}`)

  const times: number[] = []
  for (let round = 0; round < 5; round++) {
    for (const query of queries) {
      started = performance.now()
      const found = await files.search(query, { limit: 100 })
      times.push(performance.now() - started)
      if (round === 0) {
        console.log(`  ${JSON.stringify(query).padEnd(44)} ${String(found.length).padStart(4)} hits  ${ms(times.at(-1) ?? 0)}`)
      }
    }
  }
  times.sort((a, b) => a - b)
  console.log(`search over ${files.size} files, ${times.length} queries (limit 100): median ${ms(percentile(times, 0.5))}, p95 ${ms(percentile(times, 0.95))}, max ${ms(times.at(-1) ?? 0)} (target median < 50 ms)`)
  await reopened.close()
} finally {
  await remove()
}
