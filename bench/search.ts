/**
 * Search benchmark: ingests 1,000,000 discovered files into a real LevelDB
 * (rate) and closes the index (snapshot write); then — each in a fresh
 * process, as a restarted daemon would — reopens the store from the snapshot
 * (time, memory, queries: median, p95); ingests `--more` files (50,000) on
 * top and is killed (SIGKILL, no close); reopens that from the snapshot and
 * the log written after it (the crash reopen); and reopens it again from the
 * records alone (the rebuild a crash used to cost), side by side. CPU times
 * are printed beside wall times: on a shared machine they say more.
 * Run: `npx node --expose-gc bench/search.ts [--files N] [--more N] [--seed 42]`.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DiscoveredFiles } from '../src/discovered-files.ts'
import { Store } from '../src/store.ts'
import { silentLogger, tempStore } from '../test/fixtures/search.ts'
import { providerRecords } from './discovered-records.ts'
import { FileNames } from './file-names.ts'
import type { DiscoveredFileRecord } from '../src/discovered-files.ts'
import type { SearchQuery } from '../src/search/index.ts'
import type { Section } from '../src/store.ts'

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000000' },
    more: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '42' },
    reopen: { type: 'string' },
    // snapshot | crash (both load the snapshot, then replay the log after it) | records (a rebuild)
    from: { type: 'string', default: 'snapshot' },
    extend: { type: 'string' }
  }
})
const fileCount = Number(values.files)
const moreCount = Number(values.more)

// Seeded, Zipf-distributed names (see file-names.ts), so every run indexes the same realistic mix.
const names = new FileNames({ seed: Number(values.seed) })
const vocabulary = names.words

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
const cpuMs = (since: NodeJS.CpuUsage): number => { const { user, system } = process.cpuUsage(since); return (user + system) / 1000 }
/**
 * CPU time of the main thread alone (Linux: /proc, 10 ms ticks), or NaN elsewhere. JS runs there
 * and LevelDB on its own threads, so on an idle machine the ingest's wall time cannot be below it:
 * the figure that still means something when other work loads the machine.
 */
function mainThreadCpuMs (): number {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

const section = (target: Store): Section<DiscoveredFileRecord> => target.section<DiscoveredFileRecord>('discoveredFiles')
const snapshotPathOf = (location: string): string => join(dirname(location), 'discovered.snapshot')
const mib = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MiB`

/** Where the memory is: V8's heap, memory outside it (typed arrays, buffers), and the rest of RSS (LevelDB, code, free pages). */
function memoryLine (): string {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
  return `rss ${mib(rss)} = heap ${mib(heapTotal)} (used ${mib(heapUsed)}) + external ${mib(external)} (array buffers ${mib(arrayBuffers)}) + other ${mib(rss - heapTotal - external)}`
}

/** Ingests the generated records into a fresh store; the records and that index are garbage afterwards. */
async function ingestPhase (store: Store, location: string): Promise<void> {
  const records = providerRecords(fileCount, names)
  const files = new DiscoveredFiles({ files: section(store), logger: silentLogger(), snapshotPath: snapshotPathOf(location) })
  await files.open()
  const started = performance.now()
  const cpu = process.cpuUsage()
  const mainThread = mainThreadCpuMs()
  const loop = performance.eventLoopUtilization()
  // Wall time until ingest() resolves: every segment written to LevelDB (as the daemon answers a fetch).
  const { files: accepted } = await files.ingest(records)
  const ingestMs = performance.now() - started
  const mainMs = mainThreadCpuMs() - mainThread
  // Idle: the event loop waited (on LevelDB); the rest of the wall beyond the main thread's CPU is other processes' load.
  const { idle } = performance.eventLoopUtilization(loop)
  console.log(`ingest: ${accepted} files in ${ms(ingestMs)} (CPU ${ms(cpuMs(cpu))}, main thread ${ms(mainMs)}, event loop idle ${ms(idle)}) → ${Math.round(accepted / ingestMs * 1000)} files/s wall, ${Math.round(accepted / cpuMs(cpu) * 1000)} per CPU second, ${Math.round(accepted / mainMs * 1000)} per main-thread CPU second (target ≥ 100,000)`)
  const saving = performance.now()
  const savingCpu = process.cpuUsage()
  await files.close()
  console.log(`snapshot written at close: ${mib((await stat(snapshotPathOf(location))).size)} in ${ms(performance.now() - saving)} (CPU ${ms(cpuMs(savingCpu))})`)
}

/** Opens the store, ingests `--more` files after the first ones, and dies as a crash would: no close, no snapshot. */
async function extendPhase (location: string): Promise<void> {
  const store = new Store(location)
  await store.open()
  const files = new DiscoveredFiles({ files: section(store), logger: silentLogger(), snapshotPath: snapshotPathOf(location) })
  await files.open()
  const started = performance.now()
  const { files: accepted } = await files.ingest(providerRecords(moreCount, names, fileCount))
  console.log(`\ncrash: ${accepted} more files ingested in ${ms(performance.now() - started)}, then SIGKILL (no close)`)
  process.kill(process.pid, 'SIGKILL')
}

/** Reopens the store in this (fresh) process, as a restarted daemon does, and runs the queries. */
async function reopenPhase (location: string): Promise<void> {
  const reopened = new Store(location)
  await reopened.open()
  const fromSnapshot = values.from !== 'records'
  const files = new DiscoveredFiles({ files: section(reopened), logger: silentLogger(), ...(fromSnapshot ? { snapshotPath: snapshotPathOf(location) } : {}) })
  let started = performance.now()
  const cpu = process.cpuUsage()
  await files.open()
  console.log(`\n${values.from} — open (fresh process, index from the ${files.openedFrom}): ${files.size} files in ${ms(performance.now() - started)} (CPU ${ms(cpuMs(cpu))})`)
  const first = performance.now()
  const hits = (await files.search({ text: 'holiday report' }, { limit: 100 })).length
  console.log(`first search right after open: ${hits} hits in ${ms(performance.now() - first)}`)
  console.log(`memory after open, before GC: ${memoryLine()}`)
  globalThis.gc?.()
  console.log(`memory after open${globalThis.gc === undefined ? ' (run with --expose-gc for a figure after GC)' : ', after GC'}: ${memoryLine()}`)

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
  console.log(`search over ${files.size} files, ${times.length} queries (limit 100): median ${ms(percentile(times, 0.5))}, p95 ${ms(percentile(times, 0.95))}, max ${ms(times.at(-1) ?? 0)} (target median < 50 ms, p95 < 100 ms)`)
  console.log(`peak RSS of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (target ≤ 400 MiB)`)
  await reopened.close()
}

/** Runs a phase of this bench in a fresh process; resolves with how it ended. */
function phase (args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args, '--seed', values.seed, '--files', values.files, '--more', values.more], { stdio: 'inherit' })
}

if (values.reopen !== undefined) {
  await reopenPhase(values.reopen)
} else if (values.extend !== undefined) {
  await extendPhase(values.extend)
} else {
  const { store, location, remove } = await tempStore('bench-search')
  try {
    await ingestPhase(store, location)
    await store.close()
    // The crash after the clean reopen; from the records last: a reopen without the snapshot drops its mark.
    for (const args of [['--reopen', location, '--from', 'snapshot'], ['--extend', location], ['--reopen', location, '--from', 'crash'], ['--reopen', location, '--from', 'records']]) {
      const child = phase(args)
      const expected = args[0] === '--extend' ? child.signal === 'SIGKILL' : child.status === 0
      if (!expected) {
        throw new Error(`the ${args[0]} phase ended with status ${child.status}, signal ${child.signal}`)
      }
    }
  } finally {
    await remove()
  }
}
