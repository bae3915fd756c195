import { USER_ACTIONS, userAction } from './actions.ts'
import { DownloadFolderWatch, drainDownloads, finalChecks, probeStatus } from './checks.ts'
import { pause, running } from './context.ts'
import { disrupt, restart } from './disruptions.ts'
import { Ledger } from './ledger.ts'
import { ChaosNetwork } from './network.ts'
import { Prng } from './prng.ts'
import type { ChaosContext, ChaosOptions, ChaosStep } from './context.ts'
import type { DISRUPTIONS } from './disruptions.ts'
import type { ChaosReport } from './ledger.ts'

export type { ChaosOptions } from './context.ts'
export type { ChaosReport } from './ledger.ts'

/** The defaults of `npm run chaos` (issue 5: at least 10 daemons; files up to ~20 MiB). */
export const DEFAULT_CHAOS_OPTIONS: Readonly<Omit<ChaosOptions, 'seed' | 'log' | 'signal'>> = Object.freeze({
  peers: 10,
  seconds: 120,
  minFileSize: 4 * 1024,
  maxFileSize: 20 * 1024 * 1024,
  users: 3,
  disruptEveryMs: 3_000,
  maxDownShare: 0.3,
  statusBoundMs: 10_000,
  resumeTimeoutMs: 120_000
})

/** How often the download folders are scanned, and status asked of every peer (every third scan). */
const WATCH_EVERY_MS = 1_000

/**
 * Runs the chaos network: builds it, then for `seconds` lets simulated users
 * fetch, search and download while peers are killed, stopped, restarted and
 * cut off; then brings every peer back, waits for interrupted downloads,
 * checks the end state, and tears everything down (always, also on failure).
 * `onNetwork` receives the network as soon as it exists, for a last-resort
 * cleanup by the caller.
 */
export async function runChaos (options: ChaosOptions, onNetwork?: (network: ChaosNetwork) => void): Promise<ChaosReport> {
  const prng = new Prng(options.seed)
  const ledger = new Ledger()
  const setupStarted = Date.now()
  options.log(`starting ${options.peers} daemons (seed ${options.seed})`)
  const network = await ChaosNetwork.create(options, prng, ledger)
  onNetwork?.(network)
  ledger.max('setupMs', Date.now() - setupStarted)
  let report: ChaosReport | undefined
  try {
    const ctx: ChaosContext = { network, ledger, options, until: Date.now() + options.seconds * 1000 }
    const watch = new DownloadFolderWatch(ctx)
    const disruptions = new Set<Promise<void>>()
    if (options.script != null) {
      options.log(`network up: ${network.files.length} files; ${options.script.length} scripted steps (at most ${options.seconds} s)`)
      await scripted(ctx, options.script, prng.fork('script'), watch)
    } else {
      options.log(`network up: ${network.files.length} files; chaos for ${options.seconds} s`)
      await Promise.all([
        ...Array.from({ length: options.users }, async (_, i) => users(ctx, prng.fork(`user-${i}`))),
        monkey(ctx, prng.fork('disruptions'), disruptions),
        watcher(ctx, watch)
      ])
    }
    options.log('chaos over: waiting for restarts under way, then for downloads')
    await Promise.all(disruptions)
    for (const peer of network.peers.filter(p => !p.up)) {
      await restart(ctx, peer)
    }
    const drainStarted = Date.now()
    await drainDownloads(ctx)
    ledger.max('drainMs', Date.now() - drainStarted)
    await finalChecks(ctx, watch)
    report = summary(options, network, ledger)
  } finally {
    const keep = options.keepOnFailure === true && report?.ok !== true
    options.log(keep ? `stopping every daemon; keeping their folders in ${network.root}` : 'stopping every daemon')
    await network.close(keep)
  }
  return report
}

function summary (options: ChaosOptions, network: ChaosNetwork, ledger: Ledger): ChaosReport {
  const invariants = ledger.invariants()
  return {
    seed: options.seed,
    peers: options.peers,
    seconds: options.seconds,
    files: network.files.length,
    sharedBytes: network.sharedBytes,
    counts: ledger.counts,
    downloadFailures: ledger.downloadFailures,
    measurements: ledger.measurements,
    invariants,
    ok: invariants.every(invariant => invariant.held)
  }
}

/** One simulated user: one action after another, with a short breath between. */
async function users (ctx: ChaosContext, prng: Prng): Promise<void> {
  while (running(ctx)) {
    await userAction(ctx, prng).catch((err: Error) => {
      ctx.ledger.count('runnerErrors')
      ctx.options.log(`runner error in a user action: ${err.stack ?? err.message}`)
    })
    await pause(prng.int(0, 300), ctx.options.signal)
  }
}

/** Starts a disruption every `disruptEveryMs` or so; each runs its course on its own while the next ones start. */
async function monkey (ctx: ChaosContext, prng: Prng, underWay: Set<Promise<void>>): Promise<void> {
  const every = ctx.options.disruptEveryMs
  while (running(ctx)) {
    await pause(prng.int(Math.round(every / 2), Math.round(every * 1.5)), ctx.options.signal)
    if (!running(ctx)) {
      break
    }
    const course = disrupt(ctx, prng)
    if (course != null) {
      underWay.add(course)
      void course.finally(() => { underWay.delete(course) })
    }
  }
}

/**
 * Runs the script's steps one at a time, each to its end (a kill includes the
 * restart and the survival checks), scanning the download folders and asking
 * every peer for its status after each. `seconds` bounds the whole script.
 */
async function scripted (ctx: ChaosContext, script: ChaosStep[], prng: Prng, watch: DownloadFolderWatch): Promise<void> {
  for (const step of script) {
    if (!running(ctx)) {
      ctx.options.log('the script ran out of time')
      ctx.ledger.count('runnerErrors')
      break
    }
    ctx.options.log(`step: ${step}`)
    const course = step in USER_ACTIONS
      ? userAction(ctx, prng, step as keyof typeof USER_ACTIONS)
      : disrupt(ctx, prng, step as keyof typeof DISRUPTIONS)
    await course?.catch((err: Error) => {
      ctx.ledger.count('runnerErrors')
      ctx.options.log(`runner error in step ${step}: ${err.stack ?? err.message}`)
    })
    await watch.scan()
    await probeStatus(ctx)
  }
  // The disruptive phase is over: a link still cut stops retrying.
  ctx.until = Date.now()
}

/** Scans the download folders every second and asks every peer for its status every third time. */
async function watcher (ctx: ChaosContext, watch: DownloadFolderWatch): Promise<void> {
  for (let round = 0; running(ctx); round++) {
    await watch.scan()
    if (round % 3 === 0) {
      await probeStatus(ctx)
    }
    await pause(WATCH_EVERY_MS, ctx.options.signal)
  }
}
