/**
 * The routing table exchange of `/peerit/fetch/1.1`: this peer's tables go
 * to every neighbour that speaks 1.1 (on connect, after share changes and
 * after changes among its neighbours), neighbours' tables are kept while
 * they stay connected, and the forwarding rule asks them whether a query on
 * its last two hops may match.
 */
import { PROTOCOL_1_1 } from './constants.ts'
import { encodeMessage11 } from './messages.ts'
import { NeighbourTables } from './neighbour-tables.ts'
import { reachTables } from './reach-tables.ts'
import { TableAnnouncer } from './table-announcer.ts'
import type { FetchQuery, PeeritFetchComponents } from './index.ts'
import type { WireRouteTable } from './messages.ts'
import type { TableVerdict } from './neighbour-tables.ts'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'

/** Options of a {@link RouteExchange}. */
export interface RouteExchangeInit {
  components: Pick<PeeritFetchComponents, 'events'>
  /** Every name this peer shares now. */
  names: () => Promise<string[]>
  /** The neighbours a table goes to. */
  neighbours: () => Connection[]
  /** Writes one frame body on a stream (the service counts its bytes). */
  send: (stream: Stream, body: Uint8Array, signal: AbortSignal) => Promise<void>
  /** Bounds one table stream. */
  timeoutMs: number
  debounceMs: number
  minIntervalMs: number
  updatesPerMinute: number
  /** Counted when a table is sent / kept. */
  onSent: () => void
  onKept: () => void
  log: Logger
}

/** Both halves of the exchange, tied to the connection events. */
export class RouteExchange {
  private readonly init: RouteExchangeInit
  private readonly tables: NeighbourTables
  private readonly announcer: TableAnnouncer
  /** Connections whose peer refused 1.1: no table is offered on them again. */
  private readonly legacy = new WeakSet<Connection>()

  constructor (init: RouteExchangeInit) {
    this.init = init
    this.tables = new NeighbourTables({ updatesPerMinute: init.updatesPerMinute })
    this.announcer = new TableAnnouncer({
      names: init.names,
      neighbours: init.neighbours,
      reaches: (table, connections) => reachTables(table, connections.map(connection => this.tables.tableOf(connection.remotePeer.toString()))),
      send: async (connection, table) => { await this.sendTable(connection, table) },
      debounceMs: init.debounceMs,
      minIntervalMs: init.minIntervalMs,
      log: init.log
    })
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.onPeerDisconnect = this.onPeerDisconnect.bind(this)
  }

  /** Listens for neighbours coming and going, and sends the first table. */
  start (): void {
    this.init.components.events.addEventListener('connection:open', this.onConnectionOpen)
    this.init.components.events.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.announcer.start()
  }

  stop (): void {
    this.init.components.events.removeEventListener('connection:open', this.onConnectionOpen)
    this.init.components.events.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.announcer.stop()
    this.tables.clear()
  }

  /** The share changed: a new table goes out after the quiet time. */
  changed (): void {
    this.announcer.changed()
  }

  /** Neighbours whose reach table is held. */
  get reachTables (): number {
    return this.tables.reachCount
  }

  /** False only when `peer` sent a table that rules out `query` sent to it with `ttl` (see {@link NeighbourTables.mayMatch}). */
  mayMatch (peer: string, query: FetchQuery | undefined, ttl: number): boolean {
    return this.tables.mayMatch(peer, query, ttl)
  }

  /** A table a neighbour sent (already decoded and size-checked). */
  receive (peer: PeerId, table: WireRouteTable): TableVerdict {
    const verdict = this.tables.accept(peer.toString(), table)
    if (verdict === 'kept') {
      this.init.onKept()
      // the reach tables this peer sends its other neighbours include this one
      this.announcer.neighboursChanged()
    }
    this.init.log.trace('routing table %d from %p: %s', table.sequence, peer, verdict)
    return verdict
  }

  private async sendTable (connection: Connection, table: WireRouteTable): Promise<void> {
    if (this.legacy.has(connection) || connection.status !== 'open' || connection.limits != null) {
      return
    }
    const signal = AbortSignal.timeout(this.init.timeoutMs)
    let stream: Stream
    try {
      stream = await connection.newStream(PROTOCOL_1_1, { signal })
    } catch (err) {
      if ((err as Error).name === 'UnsupportedProtocolError') {
        this.legacy.add(connection)
        return
      }
      throw err
    }
    try {
      await this.init.send(stream, encodeMessage11({ routeTable: table }), signal)
      await stream.close({ signal })
      this.init.onSent()
    } catch (err) {
      stream.abort(err as Error)
      throw err
    }
  }

  private onConnectionOpen (event: CustomEvent<Connection>): void {
    this.announcer.connected(event.detail)
    // a neighbour without a table yet: the others' reach tables must say "unknown" until it sends one
    this.announcer.neighboursChanged()
  }

  private onPeerDisconnect (event: CustomEvent<PeerId>): void {
    const peer = event.detail.toString()
    this.tables.forget(peer)
    this.announcer.forget(peer)
    this.announcer.neighboursChanged()
  }
}
