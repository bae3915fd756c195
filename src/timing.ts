/** The wait before retry number `attempt` (from 0): `base` doubled each time, capped at `max`. */
export function backoff (attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30))
}

/** A signal that aborts after `ms`, or earlier when `signal` (if any) does. */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal == null ? timeout : AbortSignal.any([signal, timeout])
}
