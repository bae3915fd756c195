import { RateLimiter } from '@libp2p/utils'
import type { Logger, PeerId } from '@libp2p/interface'

/**
 * The per-minute allowance is counted in this many fixed windows, so a burst
 * is at most a sixth of the minute's allowance and a peer that spent its
 * allowance waits at most ten seconds.
 */
export const RATE_WINDOWS_PER_MINUTE = 6

/** Limits and reporting of an {@link Admission}. */
export interface AdmissionInit<Violation extends string> {
  /** Requests a peer may have in progress at once. */
  maxConcurrentPerPeer: number
  /** Requests in progress from all peers together. */
  maxConcurrentTotal: number
  /** Requests a peer may start per minute; 0 = unlimited. */
  requestsPerMinute: number
  log: Logger
  /** Told of every rule a peer breaks; what it throws is logged, never raised. */
  onViolation?: (peer: PeerId, kind: Violation) => void
}

/**
 * Who may be served, checked before a byte of a request is read: a per-peer
 * request rate, and counters of requests in progress per peer and in total.
 * Every violation goes to one callback. Both protocols admit with it.
 */
export class Admission<Violation extends string> {
  private readonly init: AdmissionInit<Violation>
  private readonly activePerPeer = new Map<string, number>()
  private readonly requestRate?: RateLimiter
  private totalActive = 0

  constructor (init: AdmissionInit<Violation>) {
    this.init = init
    if (init.requestsPerMinute > 0) {
      // @libp2p/utils' limiter counts per fixed window and forgets idle peers on its own (unref'd timers)
      this.requestRate = new RateLimiter({
        points: Math.max(1, Math.ceil(init.requestsPerMinute / RATE_WINDOWS_PER_MINUTE)),
        duration: 60 / RATE_WINDOWS_PER_MINUTE
      })
    }
  }

  /** Requests in progress from all peers. */
  get active (): number {
    return this.totalActive
  }

  /** Requests in progress from one peer. */
  activeOf (peer: string): number {
    return this.activePerPeer.get(peer) ?? 0
  }

  /** Takes one request from the peer's allowance; false when none is left in this window. */
  withinRate (peer: string): boolean {
    try {
      this.requestRate?.consume(peer)
      return true
    } catch {
      return false
    }
  }

  /** Counts a request in, unless the peer or everyone together is at the limit (then false, nothing counted). */
  enter (peer: string): boolean {
    const active = this.activeOf(peer)
    if (active >= this.init.maxConcurrentPerPeer || this.totalActive >= this.init.maxConcurrentTotal) {
      return false
    }
    this.activePerPeer.set(peer, active + 1)
    this.totalActive++
    return true
  }

  /** Counts a request out; returns how many the peer still has in progress. */
  leave (peer: string): number {
    this.totalActive--
    const left = this.activeOf(peer) - 1
    if (left > 0) {
      this.activePerPeer.set(peer, left)
    } else {
      this.activePerPeer.delete(peer)
    }
    return Math.max(0, left)
  }

  /** Reports a peer breaking a rule; the callback cannot break the protocol. */
  report (peer: PeerId, kind: Violation): void {
    try {
      this.init.onViolation?.(peer, kind)
    } catch (err) {
      this.init.log.error('the violation callback threw - %e', err)
    }
  }
}
