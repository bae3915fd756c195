/**
 * Upload bandwidth limits of the file server: a rate in bytes per second,
 * enforced by delaying each chunk before it is handed to the stream, so the
 * sender waits instead of buffering (and never sends faster to "catch up").
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { StreamStateError } from '@libp2p/interface'
import type { IdleTimeout } from './idle-timeout.ts'
import type { Stream } from '@libp2p/interface'

/** The smallest chunk a throttled request sends, so a low rate still moves whole network packets. */
const MIN_THROTTLED_CHUNK = 16 * 1024
/** A throttled chunk carries about this much of a second's allowance, so no single wait is long. */
const CHUNKS_PER_SECOND = 4
/**
 * The allowance a rate may catch up on after a stall, in seconds of that rate
 * (at least one chunk): over any span T a rate R sends at most R × (T + this).
 * One chunk alone was 6.5 ms at 40 MB/s, so a reader or an event loop pausing
 * any longer cost that uplink its time for good (docs/benchmarks.md).
 */
export const BURST_SECONDS = 0.1
/** Longest single sleep before the server's idle timer is refreshed (the wait is ours, not the reader's). */
const MAX_SLEEP_MS = 1_000

/**
 * One byte rate, shared by every request it governs. A generic cell rate
 * algorithm (as in ATM and many token buckets): each booking moves a
 * theoretical finish time forward by bytes ÷ rate, and the caller waits until
 * that time is less than one burst ahead of now. Bookings are served in
 * order, so concurrent requests share the rate fairly, with O(1) state and no
 * timer of its own.
 */
export class UploadRate {
  private readonly msPerByte: number
  private readonly burstMs: number
  private readonly now: () => number
  private finishAt = Number.NEGATIVE_INFINITY

  /** `burstBytes` may go out at once after an idle spell; `now` is a ms clock (tests pass a fake one). */
  constructor (bytesPerSecond: number, burstBytes: number, now: () => number = () => performance.now()) {
    this.msPerByte = 1000 / bytesPerSecond
    this.burstMs = burstBytes * this.msPerByte
    this.now = now
  }

  /** Whether the rate has recovered its whole burst: forgetting it now gives nobody more than a new one would. */
  get rested (): boolean {
    return this.finishAt <= this.now()
  }

  /** Books `bytes` and returns how many ms the caller must wait before sending them (0 = now). */
  book (bytes: number): number {
    const now = this.now()
    this.finishAt = Math.max(this.finishAt, now) + bytes * this.msPerByte
    return Math.max(0, this.finishAt - this.burstMs - now)
  }
}

/** How many bytes a rate lets go at once after an idle spell: {@link BURST_SECONDS} of it, and never less than one chunk. */
export function burstBytes (bytesPerSecond: number, chunkSize: number): number {
  return Math.max(chunkSize, Math.round(bytesPerSecond * BURST_SECONDS))
}

/**
 * The chunk size a request sends under the given rates (0 = unlimited):
 * about a quarter second of the slowest rate, so a throttled transfer keeps
 * bytes moving well within the client's idle timeout.
 */
export function throttledChunkSize (readChunkSize: number, rates: number[]): number {
  const limited = rates.filter(rate => rate > 0)
  if (limited.length === 0) {
    return readChunkSize
  }
  const slowest = Math.min(...limited)
  return Math.min(readChunkSize, Math.max(MIN_THROTTLED_CHUNK, Math.floor(slowest / CHUNKS_PER_SECOND)))
}

/**
 * Books `bytes` on every rate and waits until all of them allow the send.
 * The server's idle timer is refreshed while waiting: a stall caused by our
 * own limit must not be blamed on the reader. Rejects when `idle` fires (the
 * stream was aborted or the service stopped).
 */
export async function waitForRates (stream: Stream, rates: Array<UploadRate | undefined>, bytes: number, idle: IdleTimeout): Promise<void> {
  let waitMs = 0
  for (const rate of rates) {
    waitMs = Math.max(waitMs, rate?.book(bytes) ?? 0)
  }
  while (waitMs > 0) {
    const step = Math.min(waitMs, MAX_SLEEP_MS)
    await sleep(step, undefined, { signal: idle.signal })
    // a stream reset while we slept (or the service stopping) ends the wait within a step
    if (stream.status !== 'open') {
      throw new StreamStateError(`the stream is ${stream.status}`)
    }
    idle.touch()
    waitMs -= step
  }
}
