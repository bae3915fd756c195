import { TimeoutError } from './errors.ts'

/**
 * An abort signal that fires when no progress is reported for `ms`. One
 * timer is refreshed per step instead of one `AbortSignal.timeout` per chunk:
 * a 1 GiB transfer makes thousands of steps.
 */
export class IdleTimeout {
  readonly signal: AbortSignal
  private readonly controller: AbortController
  private readonly timer: NodeJS.Timeout

  constructor (ms: number) {
    this.controller = new AbortController()
    this.signal = this.controller.signal
    this.timer = setTimeout(() => { this.controller.abort(new TimeoutError(`no data moved for ${ms} ms`)) }, ms)
    // A pending idle timer must not keep the process alive on its own.
    this.timer.unref()
  }

  /** Reports progress: the deadline moves to `ms` from now. */
  touch (): void {
    this.timer.refresh()
  }

  /** Stops the timer; the signal never fires afterwards. */
  clear (): void {
    clearTimeout(this.timer)
  }
}
