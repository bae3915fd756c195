/**
 * The routing tables this peer's neighbours sent it (`/peerit/fetch/1.1`),
 * and the rule that keeps a neighbour from sending them in a storm.
 */
import { RateLimiter } from '@libp2p/utils'
import { RoutingTable } from './routing-table.ts'
import type { FetchQuery } from './index.ts'
import type { WireRouteTable } from './messages.ts'

/** What became of a table a neighbour sent. */
export type TableVerdict = 'kept' | 'stale' | 'rate-limit'

/** Options of {@link NeighbourTables}. */
export interface NeighbourTablesInit {
  /** Tables one neighbour may send per minute, granted in 10 s windows. */
  updatesPerMinute: number
}

/** One neighbour's tables, as its highest-numbered message gave them. */
interface HeldTables {
  sequence: number
  /** Its own names. */
  table: RoutingTable
  /** Its own and its other neighbours' names (see reach-tables.ts); absent: unknown. */
  reach?: RoutingTable
}

/**
 * One table per neighbour peer, the one with the highest sequence number.
 * A neighbour with no table (a 1.0 peer, or one whose table has not arrived)
 * may match anything: a missing table never hides a result.
 */
export class NeighbourTables {
  private readonly tables = new Map<string, HeldTables>()
  private readonly rate: RateLimiter

  constructor (init: NeighbourTablesInit) {
    const windows = 6
    this.rate = new RateLimiter({ points: Math.max(1, Math.ceil(init.updatesPerMinute / windows)), duration: 60 / windows })
  }

  /** Neighbours with a table. */
  get size (): number {
    return this.tables.size
  }

  /** Neighbours with a reach table. */
  get reachCount (): number {
    let count = 0
    for (const held of this.tables.values()) {
      if (held.reach != null) count++
    }
    return count
  }

  /**
   * Takes a table from `peer`: `'rate-limit'` (ignored) when it is over its
   * allowance, `'stale'` (ignored) when its sequence is not newer than the
   * table held, else `'kept'`.
   */
  accept (peer: string, wire: WireRouteTable): TableVerdict {
    try {
      this.rate.consume(peer)
    } catch {
      return 'rate-limit'
    }
    const held = this.tables.get(peer)
    if (held != null && held.sequence >= wire.sequence) {
      return 'stale'
    }
    this.tables.set(peer, {
      sequence: wire.sequence,
      table: new RoutingTable(wire.bitmap),
      reach: wire.reach == null ? undefined : new RoutingTable(wire.reach)
    })
    return 'kept'
  }

  /**
   * False only when `peer`'s tables rule out every match for `query` sent to
   * it with `ttl`: 1 asks its own table, 2 its reach table; a larger TTL, or
   * a table it did not send, may match anything.
   */
  mayMatch (peer: string, query: FetchQuery | undefined, ttl: number): boolean {
    const held = this.tables.get(peer)
    const table = ttl === 1 ? held?.table : ttl === 2 ? held?.reach : undefined
    return table?.mayMatch(query) ?? true
  }

  /** `peer`'s own table, if it sent one. */
  tableOf (peer: string): RoutingTable | undefined {
    return this.tables.get(peer)?.table
  }

  /** Drops the table of a neighbour that went away. */
  forget (peer: string): void {
    this.tables.delete(peer)
  }

  /** Drops every table. */
  clear (): void {
    this.tables.clear()
  }
}
