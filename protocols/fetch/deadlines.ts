/**
 * TTL rules and the time budget of a hop. One place, because the spec's
 * guarantee (a fetch ends on time even when a branch hangs) rests on every
 * hop using the same arithmetic.
 */
import { InvalidTtlError } from './errors.ts'

/**
 * The TTL a peer acts on: TTL + hops never exceeds `maxTtl` (larger TTLs are
 * clamped, never refused, as in Gnutella 0.6). A TTL below 1, or hops already
 * at the cap, leaves nothing to do: {@link InvalidTtlError}.
 */
export function clampTtl (ttl: number, hops: number, maxTtl: number): number {
  if (!Number.isInteger(ttl) || ttl < 1) {
    throw new InvalidTtlError(`TTL must be a whole number ≥ 1, got ${ttl}`)
  }
  if (hops >= maxTtl) {
    throw new InvalidTtlError(`a request that has travelled ${hops} hops may not go further (cap ${maxTtl})`)
  }
  return Math.min(ttl, maxTtl - hops)
}

/** A peer that received TTL `ttl` must have finished its answer this long after the request arrived. */
export function answerBudgetMs (ttl: number, hopTimeoutMs: number): number {
  return ttl * hopTimeoutMs
}

/**
 * How long that peer waits on its neighbours: half a hop less than its own
 * budget. They got TTL − 1, so they finish within (TTL − 1) hops of receiving
 * the request; the half hop covers the request's trip down and their last
 * records' trip up, and leaves time to pass those records on.
 */
export function neighbourBudgetMs (ttl: number, hopTimeoutMs: number): number {
  return (ttl - 0.5) * hopTimeoutMs
}

/** The originator's default deadline: its neighbours got TTL `ttl`, so they are done within `ttl` hops; one more hop of slack. */
export function fetchTimeoutMs (ttl: number, hopTimeoutMs: number): number {
  return (ttl + 1) * hopTimeoutMs
}
