/**
 * Dials the peers mDNS finds on the LAN (libp2p only fills its peer store).
 * A peer's announcement is checked first: only TCP addresses on an IP, and a
 * loopback address only from a peer that is on this very host — another host
 * advertising 127.0.0.1 would make us dial ourselves or a stranger here.
 */
import { networkInterfaces } from 'node:os'
import { isLoopback, tryGetNetConfig } from '@libp2p/utils'
import { TCP } from '@multiformats/multiaddr-matcher'
import { P2P_CODE } from '../contacts.ts'
import type { ComponentLogger, Logger, PeerDiscovery, PeerId, PeerInfo } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What {@link LanDiscovery} uses of libp2p. */
export interface LanDiscoveryComponents {
  peerId: PeerId
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

/** Init of {@link LanDiscovery}. */
export interface LanDiscoveryInit {
  /** Called before a discovered peer is dialled, so `list peers` can say where it came from. */
  onDiscovered: (peer: string) => void
  onNotice: (message: string) => void
}

/** Announcements repeat every 10 s: a peer is dialled at most this often. */
const REDIAL_MS = 30_000
/** mDNS dials at once; a LAN full of peers is met a few at a time. */
const MAX_CONCURRENT_DIALS = 4
const DIAL_TIMEOUT_MS = 10_000
/** At most this many addresses of one announcement are dialled. */
const MAX_ADDRESSES = 8
/** Peers remembered for the redial rule: bounded, oldest forgotten first. */
const MAX_REMEMBERED = 1024

/** Dials peers found by mDNS. */
export class LanDiscovery {
  private readonly components: LanDiscoveryComponents
  private readonly init: LanDiscoveryInit
  private readonly log: Logger
  private readonly lastDial = new Map<string, number>()
  private readonly noticed = new Set<string>()
  private dials = 0

  constructor (components: LanDiscoveryComponents, init: LanDiscoveryInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('peerit:mdns')
  }

  /** Starts dialling what `discovery` (the mDNS service) finds. */
  watch (discovery: PeerDiscovery): void {
    discovery.addEventListener('peer', (event) => { this.onPeer(event.detail) })
  }

  /** Handles one announcement. */
  onPeer (info: PeerInfo): void {
    const id = info.id.toString()
    if (info.id.equals(this.components.peerId) || this.components.connectionManager.getConnections(info.id).length > 0) {
      return
    }
    const addresses = usableAddresses(info.multiaddrs, localAddresses())
    if (addresses.length === 0) {
      if (!this.noticed.has(id) && this.noticed.size < MAX_REMEMBERED) {
        this.noticed.add(id)
        this.init.onNotice(`mdns: ${id} announced no usable address (${info.multiaddrs.slice(0, 3).map(a => a.toString()).join(', ') || 'none'}); not dialled`)
      }
      return
    }
    const now = Date.now()
    if (now - (this.lastDial.get(id) ?? 0) < REDIAL_MS || this.dials >= MAX_CONCURRENT_DIALS) {
      return
    }
    if (this.lastDial.size >= MAX_REMEMBERED) {
      this.lastDial.delete(this.lastDial.keys().next().value as string)
    }
    this.lastDial.set(id, now)
    this.init.onDiscovered(id)
    void this.dial(info.id, addresses)
  }

  private async dial (peer: PeerId, addresses: Multiaddr[]): Promise<void> {
    this.dials++
    try {
      const connection = await this.components.connectionManager.openConnection(addresses.map(a => a.encapsulate(`/p2p/${peer.toString()}`)), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
      this.init.onNotice(`mdns: found ${peer.toString()} on the LAN at ${connection.remoteAddr.decapsulateCode(P2P_CODE).toString()}`)
    } catch (err: any) {
      this.log('dialling %p found by mDNS failed - %e', peer, err)
    } finally {
      this.dials--
    }
  }
}

/**
 * The addresses of an announcement worth dialling: TCP on an IP, without a
 * peer id of their own; loopback ones only when another of them is one of
 * `local` (this host's interface addresses).
 */
export function usableAddresses (announced: Multiaddr[], local: Set<string>): Multiaddr[] {
  const tcp = announced.slice(0, 64).flatMap(address => {
    try {
      const bare = address.decapsulateCode(P2P_CODE)
      const config = tryGetNetConfig(bare)
      return TCP.exactMatch(bare) && (config?.type === 'ip4' || config?.type === 'ip6') ? [{ address: bare, host: config.host }] : []
    } catch {
      return []
    }
  })
  const sameHost = tcp.some(({ address, host }) => !isLoopback(address) && local.has(host))
  return tcp.filter(({ address }) => sameHost || !isLoopback(address)).map(({ address }) => address).slice(0, MAX_ADDRESSES)
}

/** This host's non-loopback interface addresses. */
function localAddresses (): Set<string> {
  const addresses = new Set<string>()
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal) {
        addresses.add(entry.address)
      }
    }
  }
  return addresses
}
