/**
 * Dynamic querying (after LimeWire's): instead of one TTL-7 flood, a search
 * starts with a small TTL on a few links and widens, one round at a time,
 * only until it has the results asked for. Each round is an ordinary fetch
 * with a fresh id; a round costs roughly the degree times the one before, so
 * stopping a round early saves most of the traffic. The service and
 * bench/scale.ts run the same plan.
 */
import { PRUNED_HOPS } from './constants.ts'

/** One round: send a fresh fetch with `ttl` on the first `links` neighbours (in one fixed random order). */
export interface QueryRound {
  ttl: number
  links: number
  /**
   * The levels (hops from the originator) this round searches whole: the
   * routing tables may thin out the ones beyond, so only peers that answer
   * from these say how far the network goes.
   */
  wholeLevels: number
}

/** What a round found. */
export interface RoundOutcome {
  /** Distinct peers that answered in the round just run with `hops` ≤ its `wholeLevels`. */
  peersWithin: number
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
  /**
   * Hops at the end of a round the routing tables may thin out: 2 in 1.1
   * (own tables on the last hop, reach tables on the one before).
   *
   * @default 2
   */
  prunedHops?: number
}

/**
 * In a large horizon, a round whose full levels hold fewer than this many
 * times the peers of the round before is the last: the horizon is closing,
 * and one more round would cost about a whole flood for the few peers left.
 */
export const HORIZON_GROWTH = 2
/**
 * The growth rule applies only from this many peers on: below it a round is
 * cheap, and a line-shaped network (growing by a peer or two per hop) must
 * be searched to its end.
 */
export const GROWTH_RULE_MIN_PEERS = 1_000

/** Links of the probing rounds (LimeWire probed 3 connections too). */
export const PROBE_LINKS = 3

/**
 * The rounds: TTL 1 then 2 on `probeLinks` links, then every link at TTL 2,
 * 3, … up to `maxTtl`. It stops when the results reach the limit; when a
 * round on the same links and with more whole levels than the one before
 * found no peer in them that the one before did not (nothing lies farther);
 * when, past {@link GROWTH_RULE_MIN_PEERS}, those levels grew less than
 * {@link HORIZON_GROWTH} times (the horizon is closing); or after the widest
 * round. The first level is always whole: the originator asks its own
 * neighbours whatever their tables say.
 */
export class DynamicQueryPlan {
  private readonly limit: number
  private readonly rounds: QueryRound[] = []
  private current = 0
  private lastWithin = -1

  constructor (init: DynamicQueryInit) {
    this.limit = Math.max(1, init.limit)
    const maxTtl = Math.max(1, init.maxTtl)
    const links = Math.max(0, init.links)
    const probe = Math.min(links, Math.max(1, init.probeLinks ?? PROBE_LINKS))
    const pruned = Math.max(0, init.prunedHops ?? PRUNED_HOPS)
    const add = (ttl: number, links: number): void => {
      const previous = this.rounds.at(-1)
      if (ttl <= maxTtl && (previous == null || ttl > previous.ttl || links > previous.links)) {
        this.rounds.push({ ttl, links, wholeLevels: Math.max(1, ttl - pruned) })
      }
    }
    add(1, probe)
    add(2, probe)
    for (let ttl = 2; ttl <= maxTtl; ttl++) {
      add(ttl, links)
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
    if (previous != null && previous.links === done.links && done.wholeLevels > previous.wholeLevels) {
      const exhausted = outcome.peersWithin <= this.lastWithin
      const closing = outcome.peersWithin >= GROWTH_RULE_MIN_PEERS && outcome.peersWithin < HORIZON_GROWTH * this.lastWithin
      if (exhausted || closing) {
        return undefined
      }
    }
    this.lastWithin = outcome.peersWithin
    this.current++
    return this.rounds[this.current]
  }
}
