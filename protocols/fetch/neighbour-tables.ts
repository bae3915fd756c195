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

/**
 * One table per neighbour peer, the one with the highest sequence number.
 * A neighbour with no table (a 1.0 peer, or one whose table has not arrived)
 * may match anything: a missing table never hides a result.
 */
export class NeighbourTables {
  private readonly tables = new Map<string, { sequence: number, table: RoutingTable }>()
  private readonly rate: RateLimiter

  constructor (init: NeighbourTablesInit) {
    const windows = 6
    this.rate = new RateLimiter({ points: Math.max(1, Math.ceil(init.updatesPerMinute / windows)), duration: 60 / windows })
  }

  /** Neighbours with a table. */
  get size (): number {
    return this.tables.size
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
    this.tables.set(peer, { sequence: wire.sequence, table: new RoutingTable(wire.bitmap) })
    return 'kept'
  }

  /** False only when `peer`'s table rules out every match for `query`. */
  mayMatch (peer: string, query: FetchQuery | undefined): boolean {
    return this.tables.get(peer)?.table.mayMatch(query) ?? true
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
