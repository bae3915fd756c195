/**
 * Sends this peer's routing tables to its neighbours (`/peerit/fetch/1.1`):
 * to each new neighbour once, and to all of them after the share or the
 * neighbourhood changes (a neighbour's table arrives, one comes or goes,
 * which changes the reach tables) — debounced, and never more often than a
 * minimum interval, so a folder being filled file by file or a burst of
 * neighbour updates costs a handful of messages, not one per change.
 */
import { RoutingTable } from './routing-table.ts'
import type { WireRouteTable } from './messages.ts'
import type { Connection, Logger } from '@libp2p/interface'

/** Tries to send one table on one connection. */
const SEND_ATTEMPTS = 4
/** Wait before the second try; the third waits twice as long, and so on. */
const RETRY_DELAY_MS = 1_000

/** The tables one neighbour is due: this peer's own, and its reach table for that neighbour. */
export interface TablesFor {
  table: RoutingTable
  reach?: RoutingTable
}

/** Options of a {@link TableAnnouncer}. */
export interface TableAnnouncerInit {
  /** Every name this peer shares now. */
  names: () => Promise<string[]>
  /** The reach table of each connection (same order) given this peer's own table; undefined where unknown. */
  reaches: (table: RoutingTable, connections: Connection[]) => Array<RoutingTable | undefined>
  /** Sends one table on one connection; rejects when that fails. */
  send: (connection: Connection, table: WireRouteTable) => Promise<void>
  /** The neighbours to tell. */
  neighbours: () => Connection[]
  /** Quiet time after the last change before the tables are rebuilt. */
  debounceMs: number
  /** Least time between two broadcasts. */
  minIntervalMs: number
  log: Logger
}

/** Builds the tables, numbers the messages and sends them where they changed. */
export class TableAnnouncer {
  private readonly init: TableAnnouncerInit
  private table?: RoutingTable
  /** The share changed since the own table was built. */
  private namesChanged = true
  /** Numbers every table message sent: a receiver keeps the highest, so a retry or a newer table always wins. */
  private sequence = 0
  /** What each neighbour peer was last sent (so an unchanged one is not sent again). */
  private readonly sent = new Map<string, TablesFor>()
  private building = false
  /** A rebuild is due (set by the timer, cleared when one starts). */
  private pending = false
  private timer?: ReturnType<typeof setTimeout>
  private lastBroadcast = -Infinity
  private stopped = true

  constructor (init: TableAnnouncerInit) {
    this.init = init
  }

  /** Builds the first table and sends it to the neighbours already connected. */
  start (): void {
    this.stopped = false
    this.schedule(0)
  }

  /** Cancels a pending broadcast. */
  stop (): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.timer = undefined
    this.sent.clear()
  }

  /** The share changed: rebuild and broadcast after the quiet time (and not before the minimum interval). */
  changed (): void {
    this.namesChanged = true
    this.neighboursChanged()
  }

  /** A neighbour's table, or the set of neighbours, changed: the reach tables are recomputed the same way. */
  neighboursChanged (): void {
    if (!this.stopped) {
      const due = Math.max(this.init.debounceMs, this.lastBroadcast + this.init.minIntervalMs - performance.now())
      this.schedule(due)
    }
  }

  /** A new neighbour: send it the current tables (once built; the first broadcast covers it otherwise). */
  connected (connection: Connection): void {
    if (this.stopped || this.table == null) {
      return
    }
    this.sendTo(connection)
  }

  /** A neighbour went away: it forgets what it was sent, so it is sent everything when it comes back. */
  forget (peer: string): void {
    this.sent.delete(peer)
  }

  private schedule (delayMs: number): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pending = true
      void this.drain()
    }, delayMs)
    this.timer.unref?.()
  }

  /** One rebuild at a time; a change that comes during one is picked up by the next. */
  private async drain (): Promise<void> {
    if (this.building) {
      return
    }
    this.building = true
    try {
      while (this.pending && !this.stopped) {
        this.pending = false
        await this.rebuild()
      }
    } finally {
      this.building = false
    }
  }

  /** Rebuilds the own table if the share changed, then sends each neighbour whatever differs from what it was sent. */
  private async rebuild (): Promise<void> {
    if (this.namesChanged || this.table == null) {
      let names: string[]
      try {
        names = await this.init.names()
      } catch (err) {
        this.init.log.error('cannot list shared names for the routing table - %e', err)
        return
      }
      this.namesChanged = false
      this.table = RoutingTable.fromNames(names)
      this.init.log('routing table: %d names, %s%% of slots set', names.length, (this.table.fill() * 100).toFixed(1))
    }
    const table = this.table
    if (this.stopped) {
      return
    }
    const connections = this.init.neighbours()
    const reaches = this.init.reaches(table, connections)
    let sent = 0
    connections.forEach((connection, i) => {
      const due = { table, reach: reaches[i] }
      if (!sameTables(this.sent.get(connection.remotePeer.toString()), due)) {
        this.sendTo(connection, due)
        sent++
      }
    })
    if (sent > 0) {
      this.lastBroadcast = performance.now()
      this.init.log.trace('routing tables sent to %d of %d neighbours', sent, connections.length)
    }
  }

  /** The tables `connection` is due now. */
  private dueFor (connection: Connection): TablesFor | undefined {
    if (this.table == null) {
      return undefined
    }
    const others = this.init.neighbours()
    const index = others.findIndex(other => other.remotePeer.equals(connection.remotePeer))
    // a neighbour not (or no longer) among the neighbours: its reach is unknown
    const reach = index < 0 ? undefined : this.init.reaches(this.table, others)[index]
    return { table: this.table, reach }
  }

  /**
   * Sends the tables due; a failed send (a busy or slow neighbour) is tried
   * again a few times while the connection stays open, with the tables
   * current then, since a neighbour holding old ones would skip this peer
   * for new files.
   */
  private sendTo (connection: Connection, due = this.dueFor(connection), attempt = 1): void {
    if (due == null) {
      return
    }
    const peer = connection.remotePeer.toString()
    this.sent.set(peer, due)
    this.sequence++
    const wire: WireRouteTable = due.reach == null
      ? { sequence: this.sequence, bitmap: due.table.bitmap }
      : { sequence: this.sequence, bitmap: due.table.bitmap, reach: due.reach.bitmap }
    this.init.send(connection, wire).catch((err: Error) => {
      this.init.log.trace('routing table to %p not sent (attempt %d) - %e', connection.remotePeer, attempt, err)
      if (this.sent.get(peer) === due) {
        this.sent.delete(peer)
      }
      if (this.stopped || connection.status !== 'open') {
        return
      }
      if (attempt >= SEND_ATTEMPTS) {
        // still connected but still not told: the next broadcast (at the minimum interval) tries again
        this.neighboursChanged()
        return
      }
      const retry = setTimeout(() => {
        if (!this.stopped) {
          this.sendTo(connection, this.dueFor(connection), attempt + 1)
        }
      }, RETRY_DELAY_MS * attempt)
      retry.unref?.()
    })
  }
}

/** Whether two sets of tables have the same bits (a missing reach equals only a missing reach). */
function sameTables (a: TablesFor | undefined, b: TablesFor): boolean {
  if (a == null || !a.table.equals(b.table)) {
    return false
  }
  return a.reach == null || b.reach == null ? a.reach == null && b.reach == null : a.reach.equals(b.reach)
}
