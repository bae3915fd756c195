/**
 * A counting semaphore. In bytes, shared by every download of a manager, it
 * lets a request be made only once its bytes fit, so the memory pieces can
 * occupy is bounded by the budget, not by the file size or the number of
 * downloads; in downloads, it bounds how many run at once.
 */
export class Budget {
  readonly capacity: number
  private reserved = 0
  private readonly waiters: Array<{ amount: number, resolve: () => void }> = []

  constructor (capacity: number) {
    this.capacity = capacity
  }

  /** Units currently reserved. */
  get used (): number {
    return this.reserved
  }

  /** Waits until `amount` fits, then reserves it. More than the whole budget waits for an empty one. */
  async acquire (amount: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.waiters.length === 0 && this.fits(amount)) {
      this.reserved += amount
      return
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>()
    const waiter = { amount, resolve }
    const onAbort = (): void => {
      const index = this.waiters.indexOf(waiter)
      // Already granted: the caller goes on and releases the amount as usual.
      if (index === -1) {
        return
      }
      this.waiters.splice(index, 1)
      this.wake()
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    this.waiters.push(waiter)
    try {
      await promise
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Returns reserved units. */
  release (amount: number): void {
    this.reserved = Math.max(0, this.reserved - amount)
    this.wake()
  }

  private fits (amount: number): boolean {
    return this.reserved === 0 || this.reserved + amount <= this.capacity
  }

  // First come, first served: a large request is not starved by small ones.
  private wake (): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].amount)) {
      const waiter = this.waiters.shift()
      if (waiter == null) {
        break
      }
      this.reserved += waiter.amount
      waiter.resolve()
    }
  }
}
