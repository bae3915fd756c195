/** How far back {@link RateWindow} looks. */
const WINDOW_MS = 5000

/**
 * A byte rate over a sliding window: bytes received in the last few seconds
 * divided by the time they took. Unlike an exponential average it forgets a
 * burst or a stall completely once it leaves the window, so a rate and an ETA
 * follow what the transfer does now.
 */
export class RateWindow {
  private readonly windowMs: number
  private readonly samples: Array<{ at: number, total: number }> = []

  constructor (windowMs = WINDOW_MS) {
    this.windowMs = windowMs
  }

  /** Records the running total of bytes at time `at` (ms) and returns the rate in bytes per second. */
  push (total: number, at: number = Date.now()): number {
    this.samples.push({ at, total })
    while (this.samples.length > 2 && at - this.samples[1].at >= this.windowMs) {
      this.samples.shift()
    }
    return this.rate
  }

  /** Bytes per second over the window; 0 until two samples are apart. */
  get rate (): number {
    const first = this.samples[0]
    const last = this.samples.at(-1)
    if (first == null || last == null || last.at <= first.at) {
      return 0
    }
    return Math.max(0, Math.round((last.total - first.total) * 1000 / (last.at - first.at)))
  }
}
