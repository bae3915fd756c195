/**
 * Preloaded into the daemon by `bench/serve-many.ts --breakdown` (through
 * NODE_OPTIONS=--import): samples `process.memoryUsage()` every 20 ms and,
 * whenever the RSS reaches a new high, writes what it was made of at that
 * moment to the file named by PEERIT_BENCH_MEMORY_OUT. It also sets the V8
 * flags in PEERIT_BENCH_V8_FLAGS (`--daemon-v8-flags`), which NODE_OPTIONS
 * does not accept, before the daemon starts its work. With PEERIT_BENCH_LIVE
 * (`--live`) it also runs a full GC every 2 s and keeps the largest live set
 * seen after one: what the daemon holds, not what it has yet to collect
 * (the GCs lower the peak, so that run's peak is not the figure). Only the daemon does
 * either: `peerit start`, which passes its environment on, does not.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const out = process.env.PEERIT_BENCH_MEMORY_OUT
const MiB = 2 ** 20
/** A new high is written only this much above the last one written (a write per MiB at most). */
const STEP = MiB

const isDaemon = process.argv.includes('daemon')
for (const flag of isDaemon ? (process.env.PEERIT_BENCH_V8_FLAGS ?? '').split(' ').filter(Boolean) : []) {
  setFlagsFromString(flag)
}

/** The largest figures seen right after a full GC, MiB. */
const live = { heapUsed: 0, external: 0, arrayBuffers: 0, rss: 0 }

if (isDaemon && process.env.PEERIT_BENCH_LIVE != null) {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  setInterval(() => {
    gc()
    const usage = process.memoryUsage()
    for (const key of Object.keys(live) as Array<keyof typeof live>) {
      live[key] = Math.max(live[key], usage[key] / MiB)
    }
    report()
  }, 2000).unref()
}

/** Experiment: a full GC whenever array buffers pass PEERIT_BENCH_RECLAIM MiB, at most once a second; the time it takes. */
const reclaim = { count: 0, ms: 0 }
const reclaimAbove = Number(process.env.PEERIT_BENCH_RECLAIM ?? 0) * MiB
if (isDaemon && reclaimAbove > 0) {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  let last = 0
  setInterval(() => {
    if (process.memoryUsage().arrayBuffers > reclaimAbove && performance.now() - last > 1000) {
      const started = performance.now()
      gc()
      last = performance.now()
      reclaim.count++
      reclaim.ms += last - started
      report()
    }
  }, 100).unref()
}

/** What the RSS was made of at its highest so far. */
let atPeak: Record<string, unknown> = {}

/** Writes the figures so far for the bench to read. */
function report (): void {
  if (out != null) {
    // Renamed into place: the bench may read it at any moment.
    writeFileSync(`${out}.part`, JSON.stringify({ ...atPeak, live, reclaim }))
    renameSync(`${out}.part`, out)
  }
}

if (out != null && isDaemon) {
  let written = 0
  setInterval(() => {
    const usage = process.memoryUsage()
    if (usage.rss < written + STEP) {
      return
    }
    written = usage.rss
    atPeak = {
      rss: usage.rss / MiB,
      heapTotal: usage.heapTotal / MiB,
      heapUsed: usage.heapUsed / MiB,
      external: usage.external / MiB,
      arrayBuffers: usage.arrayBuffers / MiB,
      // What is neither V8's heap nor memory V8 was told of: code, stacks, malloc's free lists, TLS state.
      native: (usage.rss - usage.heapTotal - usage.external) / MiB,
      spaces: Object.fromEntries(getHeapSpaceStatistics().map(space => [space.space_name, Math.round(space.space_size / MiB)]))
    }
    report()
  }, 20).unref()
}
