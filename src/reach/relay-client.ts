/**
 * The relay client: while this node has no confirmed public address it keeps
 * a reservation on up to `maxRelays` relay-serving peers it is connected to
 * (contacts, bootstrap peers). libp2p's circuit transport makes each
 * reservation, refreshes it before it expires and tags the relay connection
 * keep-alive; this loop picks the relays, notices a lost one and replaces it,
 * and backs off from a relay that refused.
 */
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { multiaddr } from '@multiformats/multiaddr'
import { Circuit } from '@multiformats/multiaddr-matcher'
import { P2P_CODE } from '../contacts.ts'
import type { Reachability } from './reachability.ts'
import type { ComponentLogger, Connection, Logger, PeerStore } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, TransportManager } from '@libp2p/interface-internal'

/** What {@link RelayClient} uses of libp2p. */
export interface RelayClientComponents {
  addressManager: AddressManager
  connectionManager: ConnectionManager
  transportManager: TransportManager
  peerStore: PeerStore
  logger: ComponentLogger
}

/** Init of {@link RelayClient}. */
export interface RelayClientInit {
  /** Reservations held at once. @default 2 */
  maxRelays?: number
  reachability: () => Reachability
  onNotice: (message: string) => void
}

/** How often the reservations are checked (and lost ones replaced). */
export const RELAY_CHECK_INTERVAL_MS = 5_000
/** A relay that refused is asked again after this long, doubling to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 30_000
const MAX_RETRY_MS = 30 * 60_000

interface Refusal {
  until: number
  delayMs: number
}

/** Keeps this node's relay reservations while it is not publicly reachable. */
export class RelayClient {
  private readonly components: RelayClientComponents
  private readonly init: RelayClientInit
  private readonly log: Logger
  private readonly maxRelays: number
  private readonly pending = new Set<string>()
  private readonly refusals = new Map<string, Refusal>()
  private timer?: ReturnType<typeof setInterval>
  private checking = false

  constructor (components: RelayClientComponents, init: RelayClientInit) {
    this.components = components
    this.init = init
    this.maxRelays = init.maxRelays ?? 2
    this.log = components.logger.forComponent('peerit:relay-client')
  }

  start (): void {
    this.timer = setInterval(() => { void this.check() }, RELAY_CHECK_INTERVAL_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  /** The relays this node holds a reservation on (peer id strings). */
  relays (): string[] {
    const relays = new Set<string>()
    for (const address of this.components.addressManager.getAddresses()) {
      if (Circuit.matches(address)) {
        const relay = relayOf(address.toString())
        if (relay != null) {
          relays.add(relay)
        }
      }
    }
    return [...relays]
  }

  /** Reserves on more relays if this node needs them; safe to call often. */
  async check (): Promise<void> {
    if (this.checking || this.init.reachability() === 'public') {
      return
    }
    this.checking = true
    try {
      const held = new Set(this.relays())
      for (const connection of await this.candidates(held)) {
        if (held.size + this.pending.size >= this.maxRelays) {
          break
        }
        void this.reserve(connection)
      }
    } finally {
      this.checking = false
    }
  }

  /** Open direct connections to relay-serving peers not already used or backed off from. */
  private async candidates (held: Set<string>): Promise<Connection[]> {
    const now = Date.now()
    const byPeer = new Map<string, Connection>()
    for (const connection of this.components.connectionManager.getConnections()) {
      const peer = connection.remotePeer.toString()
      if (connection.status !== 'open' || Circuit.matches(connection.remoteAddr) || held.has(peer) || this.pending.has(peer) || byPeer.has(peer) || (this.refusals.get(peer)?.until ?? 0) > now) {
        continue
      }
      try {
        const stored = await this.components.peerStore.get(connection.remotePeer)
        if (stored.protocols.includes(RELAY_V2_HOP_CODEC)) {
          byPeer.set(peer, connection)
        }
      } catch {
        // not identified yet: the next check sees it
      }
    }
    return [...byPeer.values()]
  }

  private async reserve (connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    this.pending.add(peer)
    const address = multiaddr(`${connection.remoteAddr.decapsulateCode(P2P_CODE).toString()}/p2p/${peer}/p2p-circuit`)
    try {
      await this.components.transportManager.listen([address])
      this.refusals.delete(peer)
      this.init.onNotice(`relay: reserved a slot on ${peer}; others can reach this node through it`)
    } catch (err: any) {
      const previous = this.refusals.get(peer)
      const delayMs = Math.min(MAX_RETRY_MS, previous == null ? FIRST_RETRY_MS : previous.delayMs * 2)
      this.refusals.set(peer, { until: Date.now() + delayMs, delayMs })
      const reason = failureReason(err)
      this.init.onNotice(`relay: ${peer} refused a reservation (${reason}); asking other relays, and this one again in ${Math.round(delayMs / 1000)} s`)
      this.log('reservation on %s failed: %s', peer, reason)
    } finally {
      this.pending.delete(peer)
    }
  }
}

/** The relay's peer id in a `/…/p2p/<relay>/p2p-circuit/…` address. */
function relayOf (address: string): string | undefined {
  return /\/p2p\/([^/]+)\/p2p-circuit/.exec(address)?.[1]
}

/** The relay's answer inside libp2p's "some configured addresses failed" error, or the error's last line. */
function failureReason (err: Error): string {
  const message = String(err.message)
  return /reservation failed with status \w+/.exec(message)?.[0] ?? message.split('\n').map(line => line.trim()).filter(line => line !== '').pop() ?? err.name
}
