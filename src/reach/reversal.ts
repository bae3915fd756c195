/**
 * Connection reversal: when a peer reaches this node through a relay and that
 * peer has a public address (src/public-networks.ts), this node dials it back
 * directly and closes the relayed connection, so the transfer runs on a
 * direct connection. DCUtR's first step does the same, but only for addresses
 * libp2p calls public; campus and VPN networks are "private" to it. Hole
 * punching between two NAT'd Node peers does not work (js-libp2p#2620), so a
 * relayed connection between two private peers stays relayed.
 */
import { Circuit, TCP } from '@multiformats/multiaddr-matcher'
import { P2P_CODE } from '../contacts.ts'
import type { PublicNetworks } from '../public-networks.ts'
import type { ComponentLogger, IdentifyResult, Logger, PeerId } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What {@link ConnectionReversal} uses of libp2p. */
export interface ConnectionReversalComponents {
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

/** Init of {@link ConnectionReversal}. */
export interface ConnectionReversalInit {
  networks: PublicNetworks
  onNotice: (message: string) => void
}

/** A dial back gets this long; a public address that does not answer by then is not worth waiting on. */
const DIAL_BACK_TIMEOUT_MS = 10_000

/** Dials back peers that reached this node through a relay, when they are publicly reachable. */
export class ConnectionReversal {
  private readonly components: ConnectionReversalComponents
  private readonly init: ConnectionReversalInit
  private readonly log: Logger
  private readonly dialling = new Set<string>()

  constructor (components: ConnectionReversalComponents, init: ConnectionReversalInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('peerit:reversal')
  }

  /** Called for every identify: the listen addresses a relayed peer announces decide. */
  onIdentify (result: IdentifyResult): void {
    if (!Circuit.matches(result.connection.remoteAddr)) {
      return
    }
    const addresses = result.listenAddrs.filter(address => TCP.exactMatch(address.decapsulateCode(P2P_CODE)) && this.init.networks.isPublic(address))
    if (addresses.length > 0) {
      void this.dialBack(result.peerId, addresses)
    }
  }

  private async dialBack (peer: PeerId, addresses: Multiaddr[]): Promise<void> {
    const id = peer.toString()
    if (this.dialling.has(id) || this.direct(peer)) {
      return
    }
    this.dialling.add(id)
    try {
      const withPeer = addresses.map(address => address.decapsulateCode(P2P_CODE).encapsulate(`/p2p/${id}`))
      const connection = await this.components.connectionManager.openConnection(withPeer, { force: true, signal: AbortSignal.timeout(DIAL_BACK_TIMEOUT_MS) })
      this.init.onNotice(`reversal: ${id} reached this node through a relay; dialled it back directly at ${connection.remoteAddr.decapsulateCode(P2P_CODE).toString()}`)
      // Closing the relayed connection moves every new stream onto the direct one.
      await Promise.all(this.components.connectionManager.getConnections(peer)
        .filter(relayed => Circuit.matches(relayed.remoteAddr))
        .map(async relayed => relayed.close().catch((err: Error) => { relayed.abort(err) })))
    } catch (err: any) {
      this.log('dialling %s back failed - %e', id, err)
    } finally {
      this.dialling.delete(id)
    }
  }

  private direct (peer: PeerId): boolean {
    return this.components.connectionManager.getConnections(peer).some(connection => connection.status === 'open' && !Circuit.matches(connection.remoteAddr))
  }
}
