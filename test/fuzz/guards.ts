/**
 * The properties every fuzz surface shares beyond "the function returned":
 * no unhandled rejection, no hang, bounded memory, and only documented errors.
 */
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Records every unhandled rejection while installed; a test asserts it stayed silent. */
export class RejectionTrap {
  readonly rejections: unknown[] = []
  private readonly listener = (reason: unknown): void => { this.rejections.push(reason) }

  constructor () {
    process.on('unhandledRejection', this.listener)
  }

  /** Fails with the first rejection's text if any was seen. */
  assertSilent (): void {
    assert.equal(this.rejections.length, 0, `unhandled rejection(s): ${this.rejections.map(String).slice(0, 3).join('; ')}`)
  }

  /** Removes the listener (call in `after`). */
  dispose (): void {
    process.off('unhandledRejection', this.listener)
  }
}

// A real collection before each heap reading, so the bound measures what is retained, not garbage.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap in use after a full collection. */
export function settledHeap (): number {
  gc()
  return process.memoryUsage().heapUsed
}

/** Remembers the heap at creation; `assertBounded` fails if retained memory grew past `maxGrowthBytes`. */
export class HeapGuard {
  readonly baseline = settledHeap()
  private readonly maxGrowthBytes: number

  constructor (maxGrowthBytes: number) {
    this.maxGrowthBytes = maxGrowthBytes
  }

  /** Retained growth since the baseline, in bytes. */
  growth (): number {
    return settledHeap() - this.baseline
  }

  /** Fails when retained growth exceeds the bound; returns the growth. */
  assertBounded (): number {
    const growth = this.growth()
    assert.ok(growth < this.maxGrowthBytes, `heap grew by ${(growth / 2 ** 20).toFixed(1)} MiB, bound ${(this.maxGrowthBytes / 2 ** 20).toFixed(0)} MiB`)
    return growth
  }
}

/** Resolves or rejects as `promise` does, or rejects with a "hang" error after `ms`. */
export async function withDeadline<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`hang: ${what} did not settle within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, hang])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Runs `decode`; returns 'ok' or the name of the error it threw, and fails
 * the property when the error is not one of `allowed` (by `name`, never message).
 */
export function outcomeOf (decode: () => unknown, allowed: ReadonlySet<string>): string {
  try {
    decode()
    return 'ok'
  } catch (err) {
    const name = (err as Error | undefined)?.name
    if (name == null || !allowed.has(name)) {
      throw new Error(`undocumented error escaped: ${String(name)}: ${(err as Error | undefined)?.message}`, { cause: err })
    }
    return name
  }
}

/** Counts outcomes by name, for the figures a long run prints. */
export class OutcomeTally {
  readonly counts = new Map<string, number>()
  private started = performance.now()

  /** Counts one outcome. */
  add (outcome: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1)
  }

  /** Inputs counted so far. */
  get total (): number {
    let total = 0
    for (const count of this.counts.values()) total += count
    return total
  }

  /** One line: surface, inputs, seconds, outcome counts. */
  summary (surface: string): string {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1)
    const outcomes = [...this.counts].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name} ${count}`).join(', ')
    return `fuzz ${surface}: ${this.total} inputs in ${seconds} s (${outcomes})`
  }

  /** Restarts the clock (after a slow setup). */
  restart (): void {
    this.started = performance.now()
  }
}
