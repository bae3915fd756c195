/** Options of a {@link SeenCache}. */
export interface SeenCacheInit {
  /** How long an id is remembered, in ms. */
  ttlMs: number
  /** Most ids held at once; adding one more forgets the oldest. */
  maxEntries: number
  /** Clock in ms (tests pass a fake one). */
  now?: () => number
}

/** What {@link SeenCache.offer} found: a new id, a known id arriving with more TTL than ever before, or a duplicate. */
export type Sighting = 'new' | 'deeper' | 'seen'

/**
 * The fetch ids a peer has already handled, so a flood that loops back is
 * answered "duplicate" instead of being forwarded again. Each id keeps the
 * highest TTL it arrived with, so a copy that comes later over a shorter
 * path (more TTL left) can still be forwarded: the cure for TTL shadowing.
 *
 * Every entry lives for the same `ttlMs`, so a `Map` in insertion order is
 * also in expiry order: expired entries and the overflow are always at the
 * front. Every operation is O(1) amortised, and no timer is needed.
 */
export class SeenCache {
  private readonly expiries = new Map<string, { expiry: number, ttl: number }>()
  private readonly ttlMs: number
  private readonly maxEntries: number
  private readonly now: () => number

  constructor (init: SeenCacheInit) {
    this.ttlMs = init.ttlMs
    this.maxEntries = Math.max(1, init.maxEntries)
    // monotonic, so insertion order stays expiry order even if the wall clock jumps
    this.now = init.now ?? (() => performance.now())
  }

  /** How many live ids are held. */
  get size (): number {
    this.prune()
    return this.expiries.size
  }

  /** True when `id` was added less than `ttlMs` ago (and not evicted since). */
  has (id: string): boolean {
    this.prune()
    return this.expiries.has(id)
  }

  /**
   * Remembers `id` as never to be forwarded again (an originator's own id).
   * Returns true when it was new, false when it was already there — check
   * and insert in one step, so two requests racing with the same id can
   * never both be treated as new.
   */
  add (id: string): boolean {
    return this.offer(id, Infinity) === 'new'
  }

  /**
   * Remembers `id` with the TTL it arrived with. `'new'` the first time;
   * `'deeper'` when it was known with a strictly lower TTL (the higher one is
   * kept, so each level is reported once: at most MAX_TTL times per id);
   * `'seen'` otherwise. Check and update in one step, like {@link add}.
   */
  offer (id: string, ttl: number): Sighting {
    this.prune()
    const known = this.expiries.get(id)
    if (known != null) {
      if (ttl > known.ttl) {
        known.ttl = ttl
        return 'deeper'
      }
      return 'seen'
    }
    if (this.expiries.size >= this.maxEntries) {
      const oldest = this.expiries.keys().next()
      if (oldest.done !== true) {
        this.expiries.delete(oldest.value)
      }
    }
    this.expiries.set(id, { expiry: this.now() + this.ttlMs, ttl })
    return 'new'
  }

  /** Forgets everything. */
  clear (): void {
    this.expiries.clear()
  }

  private prune (): void {
    const now = this.now()
    for (const [id, { expiry }] of this.expiries) {
      if (expiry > now) {
        return
      }
      this.expiries.delete(id)
    }
  }
}
