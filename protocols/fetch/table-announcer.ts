/**
 * Sends this peer's routing table to its neighbours (`/peerit/fetch/1.1`):
 * to each new neighbour once, and to all of them after the share changes —
 * debounced, and never more often than a minimum interval, so a folder
 * being filled file by file costs a handful of updates, not one per file.
 */
import { RoutingTable } from './routing-table.ts'
import type { WireRouteTable } from './messages.ts'
import type { Connection, Logger } from '@libp2p/interface'

/** Tries to send one table on one connection. */
const SEND_ATTEMPTS = 4
/** Wait before the second try; the third waits twice as long, and so on. */
const RETRY_DELAY_MS = 1_000

/** Options of a {@link TableAnnouncer}. */
export interface TableAnnouncerInit {
  /** Every name this peer shares now. */
  names: () => Promise<string[]>
  /** Sends one table on one connection; rejects when that fails. */
  send: (connection: Connection, table: WireRouteTable) => Promise<void>
  /** The neighbours to tell. */
  neighbours: () => Connection[]
  /** Quiet time after the last change before the table is rebuilt. */
  debounceMs: number
  /** Least time between two broadcasts. */
  minIntervalMs: number
  log: Logger
}

/** Builds the table, numbers its versions and sends it where it is due. */
export class TableAnnouncer {
  private readonly init: TableAnnouncerInit
  private table?: RoutingTable
  private sequence = 0
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
  }

  /** The share changed: rebuild and broadcast after the quiet time (and not before the minimum interval). */
  changed (): void {
    if (!this.stopped) {
      const due = Math.max(this.init.debounceMs, this.lastBroadcast + this.init.minIntervalMs - performance.now())
      this.schedule(due)
    }
  }

  /** A new neighbour: send it the current table (once one is built; the first broadcast covers it otherwise). */
  connected (connection: Connection): void {
    if (this.stopped || this.table == null) {
      return
    }
    this.sendTo(connection, { sequence: this.sequence, bitmap: this.table.bitmap })
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

  /** Rebuilds the table; broadcasts it when it differs from the one sent (the first one always). */
  private async rebuild (): Promise<void> {
    let names: string[]
    try {
      names = await this.init.names()
    } catch (err) {
      this.init.log.error('cannot list shared names for the routing table - %e', err)
      return
    }
    const table = RoutingTable.fromNames(names)
    if (this.stopped || (this.table != null && this.table.equals(table))) {
      return
    }
    this.table = table
    this.sequence++
    this.lastBroadcast = performance.now()
    this.init.log('routing table %d: %d names, %s%% of slots set', this.sequence, names.length, (table.fill() * 100).toFixed(1))
    const wire = { sequence: this.sequence, bitmap: table.bitmap }
    for (const connection of this.init.neighbours()) {
      this.sendTo(connection, wire)
    }
  }

  /**
   * Sends a table; a failed send (a busy or slow neighbour) is tried again a
   * few times while the connection stays open, with the table current then,
   * since a neighbour holding an old table would skip this peer for new files.
   */
  private sendTo (connection: Connection, table: WireRouteTable, attempt = 1): void {
    this.init.send(connection, table).catch((err: Error) => {
      this.init.log.trace('routing table to %p not sent (attempt %d) - %e', connection.remotePeer, attempt, err)
      if (this.stopped || connection.status !== 'open' || attempt >= SEND_ATTEMPTS) {
        return
      }
      const retry = setTimeout(() => {
        if (!this.stopped && this.table != null) {
          this.sendTo(connection, { sequence: this.sequence, bitmap: this.table.bitmap }, attempt + 1)
        }
      }, RETRY_DELAY_MS * attempt)
      retry.unref?.()
    })
  }
}
