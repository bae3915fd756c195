/**
 * Ingest and rebuild of discovered files, this tree's DiscoveredFiles beside
 * another tree's (an older commit extracted with
 * `git archive <commit> src protocols test/fixtures bench | tar -x -C /tmp/old`),
 * fed the same generated files, alternated round by round in one process;
 * CPU times from `process.cpuUsage()` (LevelDB's threads included), best of
 * the rounds, and the ratio new ÷ old.
 * Run: `npx node --expose-gc bench/discovered-versus.ts --old /tmp/old [--files 100000] [--rounds 3]`.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { DiscoveredFiles } from '../src/discovered-files.ts'
import { Store } from '../src/store.ts'
import { silentLogger, tempStore } from '../test/fixtures/search.ts'
import { providerRecords } from './discovered-records.ts'
import { FileNames } from './file-names.ts'

const { values } = parseArgs({ options: { old: { type: 'string' }, files: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } })
if (values.old === undefined) {
  throw new Error('--old <folder of the other tree> is required')
}
const fileCount = Number(values.files)
const { DiscoveredFiles: OldDiscoveredFiles } = await import(pathToFileURL(join(values.old, 'src/discovered-files.ts')).href)

const records = providerRecords(fileCount, new FileNames({ seed: 42 }))

const cpuMs = (since: NodeJS.CpuUsage): number => { const { user, system } = process.cpuUsage(since); return (user + system) / 1000 }
const measured = { old: { ingest: [] as number[], rebuild: [] as number[] }, new: { ingest: [] as number[], rebuild: [] as number[] } }

/** Ingests every file into a fresh store, then reopens it (no snapshot: a rebuild from the records). */
async function round (label: 'old' | 'new', Implementation: typeof DiscoveredFiles): Promise<void> {
  const { store, location, remove } = await tempStore('versus')
  try {
    const files = new Implementation({ files: store.section('discoveredFiles'), logger: silentLogger() })
    await files.open()
    globalThis.gc?.()
    let since = process.cpuUsage()
    await files.ingest(records)
    measured[label].ingest.push(cpuMs(since))
    await store.close()
    const reopened = new Store(location)
    await reopened.open()
    const again = new Implementation({ files: reopened.section('discoveredFiles'), logger: silentLogger() })
    globalThis.gc?.()
    since = process.cpuUsage()
    await again.open()
    measured[label].rebuild.push(cpuMs(since))
    if (again.size !== fileCount) {
      throw new Error(`${label}: reopened with ${again.size} files, not ${fileCount}`)
    }
    await reopened.close()
  } finally {
    await remove()
  }
}

for (let index = 0; index < Number(values.rounds); index++) {
  await round('old', OldDiscoveredFiles)
  await round('new', DiscoveredFiles)
}
const best = (times: number[]): number => Math.min(...times)
for (const phase of ['ingest', 'rebuild'] as const) {
  const [old, current] = [best(measured.old[phase]), best(measured.new[phase])]
  console.log(`${phase.padEnd(7)} CPU ms, old ${measured.old[phase].map(Math.round).join(' / ')}, new ${measured.new[phase].map(Math.round).join(' / ')}: new ÷ old ${(current / old).toFixed(2)}`)
}
console.log(`ingest of ${fileCount} files per CPU second (best round): old ${Math.round(fileCount / best(measured.old.ingest) * 1000)}, new ${Math.round(fileCount / best(measured.new.ingest) * 1000)}`)
