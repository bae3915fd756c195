/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32),
 * so that a chaos run's choices — files, topology, which peer is killed when —
 * are the same for the same `--seed`. Timing still varies between runs: the
 * seed fixes the decisions, not the interleaving of real processes.
 */
export class Prng {
  readonly seed: number
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    this.seed = seed >>> 0
    let state = this.seed
    const split = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = split()
    this.b = split()
    this.c = split()
    this.d = split()
    // The first outputs of sfc32 still echo the seed: discard them.
    for (let i = 0; i < 12; i++) {
      this.next()
    }
  }

  /** A float in [0, 1). */
  next (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t / 4294967296
  }

  /** An integer in [min, max]. */
  int (min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  /** True with probability `p`. */
  chance (p: number): boolean {
    return this.next() < p
  }

  /** One element of a non-empty array. */
  pick<T> (items: readonly T[]): T {
    if (items.length === 0) {
      throw new Error('pick from an empty list')
    }
    return items[Math.floor(this.next() * items.length)]
  }

  /** A key of `weights` chosen in proportion to its weight. */
  weighted<K extends string> (weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
    let point = this.next() * total
    for (const [key, weight] of entries) {
      point -= weight
      if (point < 0) {
        return key
      }
    }
    return entries[entries.length - 1][0]
  }

  /** `count` distinct elements of `items` (all of them if it holds fewer). */
  sample<T> (items: readonly T[], count: number): T[] {
    const copy = [...items]
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1))
      ;[copy[i], copy[j]] = [copy[j], copy[i]]
    }
    return copy.slice(0, count)
  }

  /** An independent generator for one concern (files, topology, a worker), derived from the seed and the label only, so draws in one never shift another. */
  fork (label: string): Prng {
    let hash = 0x811c9dc5 ^ this.seed
    for (const char of label) {
      hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193)
    }
    return new Prng(hash >>> 0)
  }
}

/** mulberry32: a small integer PRNG (Math.imul keeps every step in 32 bits), so a run is the same everywhere. */
export function mulberry32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
