/**
 * The piece writes of one request that are still in flight, at most `max` at
 * once. A piece's write to the part file takes a trip through libuv's thread
 * pool; awaiting each one before the next piece is verified left the main
 * thread idle for that trip on every piece (docs/benchmarks.md). With a few in
 * flight the next piece is read and hashed while the last one is written.
 */
export class PendingWrites {
  private readonly max: number
  private readonly writes = new Set<Promise<void>>()
  private firstError?: Error

  constructor (max: number) {
    this.max = Math.max(1, max)
  }

  /** The first write that failed, if any. */
  get error (): Error | undefined {
    return this.firstError
  }

  /** Tracks `write`; waits while `max` are in flight; throws the first failure. */
  async add (write: Promise<void>): Promise<void> {
    const tracked = write.then(() => {}, (err: Error) => { this.firstError ??= err })
      .finally(() => { this.writes.delete(tracked) })
    this.writes.add(tracked)
    while (this.writes.size >= this.max) {
      await Promise.race(this.writes)
    }
    this.throwIfFailed()
  }

  /** Waits for every write in flight, failed or not; never throws. */
  async settled (): Promise<void> {
    while (this.writes.size > 0) {
      await Promise.all(this.writes)
    }
  }

  /** Waits for every write in flight, then throws the first failure. */
  async drain (): Promise<void> {
    await this.settled()
    this.throwIfFailed()
  }

  private throwIfFailed (): void {
    if (this.firstError != null) {
      throw this.firstError
    }
  }
}
