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
import { FileNames } from './file-names.ts'

const { values } = parseArgs({ options: { files: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '42' } } })
const fileCount = Number(values.files)
const PROVIDERS = 10

// Seeded, Zipf-distributed names (see file-names.ts), so every run indexes the same realistic mix.
const names = new FileNames({ seed: Number(values.seed) })
const vocabulary = names.words

function recordsFor (count: number): ProviderRecord[] {
  const records: ProviderRecord[] = Array.from({ length: PROVIDERS }, (_, index) => ({
    peerId: `12D3KooWBenchProvider${index}`,
    addresses: [`/ip4/127.0.0.1/tcp/${4000 + index}`],
    files: [] as SharedFileEntry[],
    hops: 1
  }))
  for (let index = 0; index < count; index++) {
    const id = createHash('sha256').update(String(index)).digest('hex')
    records[index % PROVIDERS].files.push({ id, name: names.nameFor(index), size: 1000 + index, type: 'other' })
  }
  return records
}

const queries: SearchQuery[] = [
  { text: 'beatles' }, { text: 'beat' }, { text: 'help' }, { text: 'cancion' }, { text: 'yesterday' },
  { text: 'holiday report' }, { text: 'img 2010' }, { text: '1080p' }, { text: 'backup' }, { text: 'zzzz' },
  { text: 'bamon' }, { text: 'silver' }, { text: 'tre' }, { text: 'ka' }, { text: 'a' }, { text: 'the live' },
  { text: 'lo ri' }, { text: 'shi', type: 'music' }, { text: 'ver', type: 'pdf' }, { type: 'video' }, { type: 'flac' },
  { type: 'archive' }, { text: '1999', type: 'video' }, { text: vocabulary[10] }, { text: vocabulary[999] }, { text: vocabulary[150_000] }, { text: `${vocabulary[5]} ${vocabulary[6]}` },
  { text: 'IMG_20100505' }, { text: '0654321' }, { text: 'v3' }, { text: 'mp3' }, { text: 'nothing-like-this' }, { text: 'daca' }
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
