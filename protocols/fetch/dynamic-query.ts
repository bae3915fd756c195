/**
 * Dynamic querying (after LimeWire's): instead of one TTL-7 flood, a search
 * starts with a small TTL on a few links and widens, one round at a time,
 * only until it has the results asked for. Each round is an ordinary fetch
 * with a fresh id; a round costs roughly the degree times the one before, so
 * stopping a round early saves most of the traffic. The service and
 * bench/scale.ts run the same plan.
 */

/** One round: send a fresh fetch with `ttl` on the first `links` neighbours (in one fixed random order). */
export interface QueryRound {
  ttl: number
  links: number
}

/** What the rounds so far found, all together. */
export interface RoundOutcome {
  /** Distinct peers that answered in the round just run. */
  peersReached: number
  /** Distinct matching files found by all rounds so far. */
  results: number
}

/** Options of a {@link DynamicQueryPlan}. */
export interface DynamicQueryInit {
  /** Stop once this many distinct files matched. */
  limit: number
  /** The largest TTL a round may use. */
  maxTtl: number
  /** Neighbours available. */
  links: number
  /** Links of the first, probing rounds. @default 3 */
  probeLinks?: number
}

/**
 * A round on every link that reached fewer than this many times the peers
 * of the one before is the last: the horizon is closing, and one more round
 * would cost about a whole flood for the few peers left.
 */
export const HORIZON_GROWTH = 2

/** Links of the probing rounds (LimeWire probed 3 connections too). */
export const PROBE_LINKS = 3

/**
 * The rounds: TTL 1 then 2 on `probeLinks` links, then every link at TTL 2,
 * 3, … up to `maxTtl`. It stops when the results reach the limit, when a
 * round on every link reached fewer than {@link HORIZON_GROWTH} times the
 * peers of the one before (the horizon is closing), or after the widest
 * round.
 */
export class DynamicQueryPlan {
  private readonly limit: number
  private readonly rounds: QueryRound[] = []
  private current = 0
  private lastReached = -1

  constructor (init: DynamicQueryInit) {
    this.limit = Math.max(1, init.limit)
    const maxTtl = Math.max(1, init.maxTtl)
    const links = Math.max(0, init.links)
    const probe = Math.min(links, Math.max(1, init.probeLinks ?? PROBE_LINKS))
    const add = (round: QueryRound): void => {
      const previous = this.rounds.at(-1)
      if (round.ttl <= maxTtl && (previous == null || round.ttl > previous.ttl || round.links > previous.links)) {
        this.rounds.push(round)
      }
    }
    add({ ttl: 1, links: probe })
    add({ ttl: 2, links: probe })
    for (let ttl = 2; ttl <= maxTtl; ttl++) {
      add({ ttl, links })
    }
  }

  /** The first round (undefined when there is no link at all). */
  first (): QueryRound | undefined {
    return this.rounds[0]?.links > 0 ? this.rounds[0] : undefined
  }

  /** The round after one that ended with `outcome`, or undefined: stop. */
  next (outcome: RoundOutcome): QueryRound | undefined {
    const done = this.rounds[this.current]
    if (done == null || outcome.results >= this.limit) {
      return undefined
    }
    const previous = this.rounds[this.current - 1]
    const sameWidth = previous != null && previous.links === done.links
    if (sameWidth && outcome.peersReached < HORIZON_GROWTH * this.lastReached) {
      return undefined
    }
    this.lastReached = outcome.peersReached
    this.current++
    return this.rounds[this.current]
  }
}
