/**
 * Interrupted downloads resume on their own. A download that ran out of
 * providers (`interrupted`, NoProvidersError) is tried again on a back-off
 * that doubles from `firstDelayMs` to `maxDelayMs`, and sooner when a path
 * may have come back: a peer connected, or this node's addresses changed (a
 * relay slot reserved again). A paused, cancelled, failed or completed
 * download is left alone: only the user resumes those.
 */
import { backoff } from '../timing.ts'
import type { DownloadEntry } from './types.ts'
import type { Logger } from '@libp2p/interface'

/** What {@link AutoResume} is built from. */
export interface AutoResumeInit {
  /**
   * Resumes a download if it is still interrupted and not running (pause and
   * cancel win); false when it did not (the download is then forgotten here).
   */
  resume: (contentId: string) => Promise<boolean>
  log: Logger
  /** The first wait after an interruption. @default 5000 */
  firstDelayMs?: number
  /** The longest wait between two tries. @default 300000 */
  maxDelayMs?: number
}

/** Defaults of {@link AutoResumeInit}. */
export const AUTO_RESUME_DEFAULTS = {
  // A relay restarted or a provider rebooted is usually back within seconds; one that
  // stays away is asked about every five minutes, which costs a lookup, not a flood.
  firstDelayMs: 5_000,
  maxDelayMs: 5 * 60_000
}

/** One interrupted download waiting for its next try. */
interface Waiting {
  /** Tries since the download last made progress. */
  tries: number
  /** Bytes verified when it was last interrupted: more the next time means it got somewhere. */
  received: number
  /** When the last try started (0: none yet). */
  triedAt: number
  timer?: ReturnType<typeof setTimeout>
}

/** Schedules the resumption of interrupted downloads. */
export class AutoResume {
  private readonly init: AutoResumeInit
  private readonly firstDelayMs: number
  private readonly maxDelayMs: number
  private readonly waiting = new Map<string, Waiting>()
  private stopped = false

  constructor (init: AutoResumeInit) {
    this.init = init
    this.firstDelayMs = init.firstDelayMs ?? AUTO_RESUME_DEFAULTS.firstDelayMs
    this.maxDelayMs = init.maxDelayMs ?? AUTO_RESUME_DEFAULTS.maxDelayMs
  }

  /** Hears every status change of every download. */
  onStatus (entry: DownloadEntry): void {
    if (this.stopped) {
      return
    }
    const waiting = this.waiting.get(entry.contentId)
    if (entry.status === 'queued' || entry.status === 'active') {
      // A try (ours or the user's) is running: its outcome decides what comes next.
      clearTimeout(waiting?.timer)
      return
    }
    // An interruption without an error is a shutdown: the next start resumes it.
    if (entry.status !== 'interrupted' || entry.error == null) {
      this.forget(entry.contentId)
      return
    }
    const progressed = waiting == null || entry.received > waiting.received
    const next: Waiting = { tries: progressed ? 0 : waiting.tries, received: entry.received, triedAt: waiting?.triedAt ?? 0 }
    clearTimeout(waiting?.timer)
    this.waiting.set(entry.contentId, next)
    this.schedule(entry.contentId, next)
  }

  /**
   * A path may have come back (a peer connected, a relay slot was reserved):
   * every interrupted download whose last try is at least `firstDelayMs` old
   * is tried now, the others at their time.
   */
  pathsChanged (): void {
    const now = Date.now()
    for (const [contentId, waiting] of this.waiting) {
      if (waiting.timer != null && now - waiting.triedAt >= this.firstDelayMs) {
        this.tryNow(contentId, waiting)
      }
    }
  }

  /** Ends every pending try; the downloads stay interrupted (a shutdown). */
  stop (): void {
    this.stopped = true
    for (const contentId of [...this.waiting.keys()]) {
      this.forget(contentId)
    }
  }

  /** Interrupted downloads waiting for a try (tests and status). */
  get size (): number {
    return this.waiting.size
  }

  private schedule (contentId: string, waiting: Waiting): void {
    const delay = backoff(waiting.tries, this.firstDelayMs, this.maxDelayMs)
    waiting.timer = setTimeout(() => { this.tryNow(contentId, waiting) }, delay)
    waiting.timer.unref()
  }

  private tryNow (contentId: string, waiting: Waiting): void {
    clearTimeout(waiting.timer)
    waiting.timer = undefined
    waiting.tries++
    waiting.triedAt = Date.now()
    this.init.log('trying interrupted download %s again (try %d)', contentId.slice(0, 12), waiting.tries)
    this.init.resume(contentId).then((resumed) => {
      if (!resumed && this.waiting.get(contentId) === waiting) {
        this.forget(contentId)
      }
    }, (err: Error) => {
      this.init.log.error('could not resume %s - %e', contentId.slice(0, 12), err)
      // Not resumed (the store failed): try again later rather than never.
      if (!this.stopped && this.waiting.get(contentId) === waiting) {
        this.schedule(contentId, waiting)
      }
    })
  }

  private forget (contentId: string): void {
    clearTimeout(this.waiting.get(contentId)?.timer)
    this.waiting.delete(contentId)
  }
}
