/**
 * `relay_server`: js-libp2p's circuit relay v2 server without its default
 * per-connection limit (128 KiB and 2 minutes, which kill any file transfer),
 * under PeerIT's own caps instead: reservations (libp2p refuses the one over
 * `maxReservations` with RESERVATION_REFUSED), circuits open at once, and
 * relayed bytes per second in total and per peer (src/reach/relay-caps.ts).
 *
 * The server's class is not exported, so the caps hook into the instance the
 * factory builds: `handleReserve` (a reservation over the cap is logged),
 * `onHop` (the dialer's leg is metered), `handleConnect` (its target is
 * learnt) and `stopHop` (the leg to the reserving peer: admitted, counted,
 * metered, and each leg read only while the other takes what it forwards).
 * They are methods of @libp2p/circuit-relay-v2 4.2.13, which package.json
 * pins exactly; a release without them makes the relay refuse to start
 * ({@link RelayUnsupportedError}) rather than run without its caps, and
 * test/reach/relay-hooks.test.ts fails. The legs are paired through the
 * abort options handleConnect hands on to stopHop; a release that stopped
 * doing so fails test/reach/relay-backpressure.test.ts.
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { RelayCaps } from './relay-caps.ts'
import type { RelayCapsInit } from './relay-caps.ts'
import type { CircuitRelayServerComponents, CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { AbortOptions, Connection, Stream } from '@libp2p/interface'

/** Init of {@link peeritRelayServer}. */
export interface PeeritRelayServerInit extends RelayCapsInit {
  maxReservations: number
  /** Told once per burst of refusals, for the daemon's log. */
  onNotice?: (message: string) => void
}

/** The relay service with its caps, for status and tests. */
export interface PeeritRelayService extends CircuitRelayService {
  caps: RelayCaps
}

/** The parts of the server instance the caps hook into (see the module comment). */
interface HookableServer extends CircuitRelayService {
  onHop (stream: Stream, connection: Connection): Promise<void>
  handleReserve (options: { connection: Connection }, abort: AbortOptions): Promise<void>
  handleConnect (options: { stream: { unwrap(): Stream }, request: { peer?: { id: Uint8Array } }, connection: Connection }, abort: AbortOptions): Promise<void>
  stopHop (options: { connection: Connection, request: unknown }, abort: AbortOptions): Promise<Stream | undefined>
}

/** The server methods the caps wrap (see the module comment). */
export const HOOKED_METHODS = ['handleReserve', 'onHop', 'handleConnect', 'stopHop'] as const

/** The installed @libp2p/circuit-relay-v2 lacks a method the relay caps hook: the relay cannot run capped. */
export class RelayUnsupportedError extends Error {
  static readonly code = 'ERR_RELAY_UNSUPPORTED'
  readonly code = RelayUnsupportedError.code
  override readonly name = 'RelayUnsupportedError'
}

/** Refusal notices are at most this frequent, so a reservation flood cannot flood the log. */
const NOTICE_INTERVAL_MS = 60_000

/** The relay server factory, to mount as a libp2p service. */
export function peeritRelayServer (init: PeeritRelayServerInit): (components: CircuitRelayServerComponents) => PeeritRelayService {
  const factory = circuitRelayServer({
    reservations: { maxReservations: init.maxReservations, applyDefaultLimit: false }
  })
  return (components) => {
    const server = factory(components) as HookableServer
    const missing = HOOKED_METHODS.filter(method => typeof server[method] !== 'function')
    if (missing.length > 0) {
      throw new RelayUnsupportedError(`relay_server: this @libp2p/circuit-relay-v2 has no ${missing.join(', ')}, which PeerIT's relay caps hook; install the version package.json pins (4.2.13)`)
    }
    const caps = new RelayCaps(init)
    let lastNoticeAt = 0
    let refusedSinceNotice = 0
    const notice = (message: string): void => {
      refusedSinceNotice++
      if (Date.now() - lastNoticeAt >= NOTICE_INTERVAL_MS) {
        init.onNotice?.(`${message}${refusedSinceNotice > 1 ? ` (${refusedSinceNotice} refusals since the last notice)` : ''}`)
        lastNoticeAt = Date.now()
        refusedSinceNotice = 0
      }
    }

    const handleReserve = server.handleReserve.bind(server)
    server.handleReserve = async (options, abort) => {
      if (server.reservations.size >= init.maxReservations && !server.reservations.has(options.connection.remotePeer)) {
        notice(`relay: refused a reservation from ${options.connection.remotePeer.toString()}: all ${init.maxReservations} slots (limits.relay_max_reservations) are taken`)
      }
      await handleReserve(options, abort)
    }

    // The dialer's leg: what it sends towards the target is read from its hop stream. The
    // stream is met raw in onHop; the target is known once handleConnect has the request.
    const hopPeers = new WeakMap<Connection, string[]>()
    const onHop = server.onHop.bind(server)
    server.onHop = async (stream, connection) => {
      const peers = [connection.remotePeer.toString()]
      hopPeers.set(connection, peers)
      caps.meter(stream, peers)
      await onHop(stream, connection)
    }
    // handleConnect hands its abort options on to stopHop: a copy of them per call
    // lets stopHop name the target's leg of this very circuit.
    const targetLegs = new WeakMap<AbortOptions, Stream>()
    const handleConnect = server.handleConnect.bind(server)
    server.handleConnect = async (options, abort) => {
      const target = options.request.peer?.id == null ? undefined : uint8ArrayToString(options.request.peer.id, 'base58btc')
      if (target != null) {
        hopPeers.get(options.connection)?.push(target)
      }
      const ownAbort = { ...abort }
      await handleConnect(options, ownAbort)
      const targetLeg = targetLegs.get(ownAbort)
      if (targetLeg != null) {
        // handleConnect ended by piping the two legs: the dialer's is unwrapped by now,
        // so unwrap() only returns it (earlier it would take the stream from its reader).
        const dialerLeg = options.stream.unwrap()
        caps.holdWhileFull(dialerLeg, targetLeg)
        caps.holdWhileFull(targetLeg, dialerLeg)
      }
    }

    const stopHop = server.stopHop.bind(server)
    server.stopHop = async (options, abort) => {
      const target = options.connection.remotePeer
      const dialer = dialerOf(options.request)
      if (caps.isFull()) {
        notice(`relay: refused a circuit to ${target.toString()}: ${caps.openCircuits} circuits open (limits.relay_max_circuits)`)
        return undefined
      }
      const stream = await stopHop(options, abort)
      if (stream != null) {
        const peers = dialer == null ? [target.toString()] : [target.toString(), dialer]
        caps.openCircuit(stream, peers)
        // The target's leg: what it sends back towards the dialer is read here.
        caps.meter(stream, peers)
        targetLegs.set(abort, stream)
      }
      return stream
    }

    return Object.assign(server, { caps })
  }
}

/** The dialing peer named in a STOP request (`peer.id`: its multihash), as a peer id string. */
function dialerOf (request: unknown): string | undefined {
  const id = (request as { peer?: { id?: Uint8Array } }).peer?.id
  return id == null ? undefined : uint8ArrayToString(id, 'base58btc')
}
