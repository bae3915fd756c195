/**
 * Which addresses the PeerIT DHT passes on, and whether this node serves it.
 * kad-dht's defaults suit the internet: drop every private address, stay a
 * client until the node has a public one. On a LAN, or several nodes on one
 * machine, that leaves a DHT of clients with no addresses at all. Here an
 * address is kept when it is public (libp2p's rule plus `public_networks`),
 * or when it is private and this node is on a private network too, or when it
 * is loopback and this node itself only has loopback addresses.
 */
import { isLoopback, isPrivate } from '@libp2p/utils'
import type { PublicNetworks } from '../public-networks.ts'
import type { PeerInfo } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** At most this many addresses of one peer are kept: a DHT peer may send thousands. */
export const MAX_ADDRESSES_PER_PEER = 16

/** `dht_mode`: `auto` decides from the node's own addresses (see {@link AddressScope.preferredMode}). */
export type DhtMode = 'auto' | 'server' | 'client'

const CIRCUIT = 'p2p-circuit'

/**
 * The node's own addresses are read at most this often: kad-dht maps every
 * peer of every answer, and libp2p works its address list out afresh on each
 * read (an answer listing 5,000 providers took 26 s of CPU without this).
 */
const OWN_ADDRESSES_TTL_MS = 1000

/** Whether a multiaddr goes through a relay (`…/p2p-circuit/…`). */
export function isRelayed (ma: Multiaddr): boolean {
  return ma.getComponents().some(c => c.name === CIRCUIT)
}

/** The address of the relay in a relayed multiaddr: everything before `/p2p-circuit`. */
function relayPart (ma: Multiaddr): Multiaddr {
  return ma.decapsulate(`/${CIRCUIT}`)
}

/** The address rules of one node; `ownAddresses` is read each time, as addresses come and go. */
export class AddressScope {
  private readonly publicNetworks: Pick<PublicNetworks, 'isPublic'>
  private readonly readOwnAddresses: () => Multiaddr[]
  private own?: { at: number, addresses: Multiaddr[] }

  constructor (publicNetworks: Pick<PublicNetworks, 'isPublic'>, ownAddresses: () => Multiaddr[]) {
    this.publicNetworks = publicNetworks
    this.readOwnAddresses = ownAddresses
    this.mapPeerInfo = this.mapPeerInfo.bind(this)
  }

  private ownAddresses (): Multiaddr[] {
    const now = Date.now()
    if (this.own == null || now - this.own.at > OWN_ADDRESSES_TTL_MS) {
      this.own = { at: now, addresses: this.readOwnAddresses() }
    }
    return this.own.addresses
  }

  /** Forget the cached own addresses (they just changed). */
  refresh (): void {
    this.own = undefined
  }

  /** kad-dht's `peerInfoMapper`: applied to every peer it hears of and every record it sends. */
  mapPeerInfo (peer: PeerInfo): PeerInfo {
    const own = this.ownAddresses().filter(ma => !isRelayed(ma))
    const onLan = own.some(ma => isPrivate(ma) && !isLoopback(ma))
    const loopbackOnly = own.length > 0 && own.every(ma => isLoopback(ma))
    const keep = (ma: Multiaddr): boolean => {
      if (this.publicNetworks.isPublic(ma)) {
        return true
      }
      if (isLoopback(ma)) {
        return loopbackOnly
      }
      return onLan && isPrivate(ma)
    }
    const multiaddrs: Multiaddr[] = []
    for (const ma of peer.multiaddrs) {
      if (multiaddrs.length >= MAX_ADDRESSES_PER_PEER) {
        break
      }
      if (keep(isRelayed(ma) ? relayPart(ma) : ma)) {
        multiaddrs.push(ma)
      }
    }
    return { ...peer, multiaddrs }
  }

  /**
   * The mode `auto` picks: server with a public address; client with a relay
   * address and no public one (the node is behind a NAT others cannot dial
   * through); otherwise server, since a LAN or loopback peer is dialable by
   * the peers that keep its address.
   */
  preferredMode (): 'server' | 'client' {
    this.refresh()
    const own = this.ownAddresses()
    const direct = own.filter(ma => !isRelayed(ma))
    if (direct.some(ma => this.publicNetworks.isPublic(ma))) {
      return 'server'
    }
    if (own.some(isRelayed)) {
      return 'client'
    }
    return direct.length > 0 ? 'server' : 'client'
  }
}
