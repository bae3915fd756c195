/** The wait before retry number `attempt` (from 0): `base` doubled each time, capped at `max`. */
export function backoff (attempt: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30))
}

