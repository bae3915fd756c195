import type { TimedCliResult } from '../fixtures/chaos.ts'
import type { USER_ACTIONS } from './actions.ts'
import type { DISRUPTIONS } from './disruptions.ts'
import type { Ledger } from './ledger.ts'
import type { ChaosNetwork } from './network.ts'

/** One step of a scripted run: a user action or a disruption (run to its end). */
export type ChaosStep = keyof typeof USER_ACTIONS | keyof typeof DISRUPTIONS

/** Parameters of a chaos run; `npm run chaos -- --help` names the flags. */
export interface ChaosOptions {
  peers: number
  seconds: number
  seed: number
  /** Bounds of the shared files' sizes, in bytes. */
  minFileSize: number
  maxFileSize: number
  /** Simulated users issuing fetches, searches and downloads at once. */
  users: number
  /** Mean pause between two disruptions (kill, stop, link cut), in ms. */
  disruptEveryMs: number
  /** At most this share of the peers is down at once. */
  maxDownShare: number
  /** A daemon that is up must answer `status` within this (the CLI's own start-up included). */
  statusBoundMs: number
  /** How long the end of the run waits for interrupted downloads to complete. */
  resumeTimeoutMs: number
  /**
   * A fixed sequence of steps run one after another instead of `seconds` of
   * concurrent chaos: the order of events is then the script's, and only the
   * choice of peers and files comes from the seed. Used by `npm test`.
   */
  script?: ChaosStep[]
  /** Keep the peers' folders (logs, databases, download folders) when an invariant is violated. */
  keepOnFailure?: boolean
  /** Progress lines (what is being done), for a human watching. */
  log: (line: string) => void
  /** Aborting it ends the run early; the network is still torn down and checked. */
  signal?: AbortSignal
}

/** What every part of a run works with. */
export interface ChaosContext {
  network: ChaosNetwork
  ledger: Ledger
  options: ChaosOptions
  /** When the disruptive phase ends (ms since epoch). */
  until: number
}

/** Whether the disruptive phase is still on. */
export function running (ctx: ChaosContext): boolean {
  return Date.now() < ctx.until && ctx.options.signal?.aborted !== true
}

/** Waits `ms`, or less if the run is aborted. */
export async function pause (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) {
    return
  }
  await new Promise<void>(resolve => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Why a `peerit … --json` run failed, in a few stable words: its error code, or how it ended. */
export function failureReason (result: TimedCliResult): string {
  const code = result.json?.error?.code
  if (typeof code === 'string') {
    return `${code} (exit ${result.code})`
  }
  if (result.stdout === '' && result.stderr === '') {
    return 'no answer (the command timed out or was killed)'
  }
  return `exit ${result.code}: ${(result.stderr.split('\n')[0] ?? '').slice(0, 120)}`
}
