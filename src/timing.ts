/** The wait before retry number `attempt` (from 0): `base` doubled each time, capped at `max`. */
export function backoff (attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30))
}

/** Resolves when `promise` settles or rejects as soon as `signal` aborts, whichever comes first. */
export async function untilAborted <T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  const { promise: aborted, reject } = Promise.withResolvers<never>()
  const onAbort = (): void => { reject(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** A signal that aborts after `ms`, or earlier when `signal` (if any) does. */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}
