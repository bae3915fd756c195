/**
 * `peeritReach`: the libp2p service that makes and reports this node's
 * reachability — the relay client, connection reversal, the mDNS dialler, and
 * where each peer came from (`list peers`' `source`).
 */
import { serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { DialBackWait } from './dial-back-wait.ts'
import { LanDiscovery } from './lan-discovery.ts'
import { circuitAddresses, directReachOf, reachabilityOf } from './reachability.ts'
import { RelayClient } from './relay-client.ts'
import { ConnectionReversal } from './reversal.ts'
import type { PublicNetworks } from '../public-networks.ts'
import type { DirectReach, Reachability } from './reachability.ts'
import type { ComponentLogger, IdentifyResult, Libp2pEvents, PeerDiscovery, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, TransportManager } from '@libp2p/interface-internal'

/** Where a peer we know came from, as `list peers` shows it. */
export type PeerSource = 'config' | 'contact' | 'inbound' | 'mdns' | 'dht' | 'dialed'

/** What the service uses of libp2p. */
export interface PeeritReachComponents {
  peerId: PeerId
  addressManager: AddressManager
  connectionManager: ConnectionManager
  transportManager: TransportManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** Init of {@link peeritReach}. */
export interface PeeritReachInit {
  networks: PublicNetworks
  /** Reserve relay slots while not publicly reachable. @default true */
  relayClient?: boolean
  /** Reservations held at once. @default 2 */
  maxRelays?: number
  /** A sentence for the owner's log (UPnP absent, a relay refused, a peer found by mDNS …). */
  onNotice?: (message: string) => void
  /** UPnP is on: say so when no router has mapped a port after {@link UPNP_GRACE_MS}. */
  upnp?: boolean
}

/** The reachability of this node and what made it so. */
export interface PeeritReach {
  reachability (): Reachability
  /** Who can dial this node without a relay (status' `directReach`). */
  directReach (): DirectReach
  /** This node's `/p2p-circuit` addresses (one set per relay it holds a slot on). */
  relayAddresses (): string[]
  /** Where a peer came from, when this service knows (mDNS, or a service that called {@link markSource}). */
  sourceOf (peer: string): PeerSource | undefined
  markSource (peer: string, source: PeerSource): void
  /** Dials what the mDNS service finds. */
  watchLan (mdns: PeerDiscovery): void
  /** Reserves relay slots now if needed, without waiting for the next check. */
  checkRelays (): Promise<void>
  /**
   * On a public node, waits a moment for providers connected only through a
   * relay to dial back (dial-back-wait.ts), so a transfer starts on the direct path.
   */
  awaitDialBacks (peers: string[]): Promise<void>
}

/** Sources remembered at most: one per peer met, oldest forgotten first. */
const MAX_SOURCES = 10_000

/** UPnP's first gateway search lasts 5 s and mapping is debounced 5 s: a router has answered by now if there is one. */
export const UPNP_GRACE_MS = 15_000

class PeeritReachService implements PeeritReach, Startable {
  readonly [Symbol.toStringTag] = '@peerit/reach'
  readonly [serviceDependencies] = ['@libp2p/identify']
  private readonly components: PeeritReachComponents
  private readonly init: PeeritReachInit
  private readonly relayClient?: RelayClient
  private readonly reversal: ConnectionReversal
  private readonly lan: LanDiscovery
  private readonly dialBackWait: DialBackWait
  private readonly sources = new Map<string, PeerSource>()
  private started = false
  private upnpTimer?: ReturnType<typeof setTimeout>

  constructor (components: PeeritReachComponents, init: PeeritReachInit) {
    this.components = components
    this.init = init
    const onNotice = (message: string): void => { this.notice(message) }
    if (init.relayClient !== false) {
      this.relayClient = new RelayClient(components, { maxRelays: init.maxRelays, reachability: () => this.reachability(), onNotice })
    }
    this.reversal = new ConnectionReversal(components, { networks: init.networks, onNotice })
    this.dialBackWait = new DialBackWait(components)
    this.lan = new LanDiscovery(components, { onNotice, onDiscovered: (peer) => { this.markSource(peer, 'mdns') } })
    this.onIdentify = this.onIdentify.bind(this)
  }

  isStarted (): boolean {
    return this.started
  }

  start (): void {
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.relayClient?.start()
    if (this.init.upnp === true) {
      this.upnpTimer = setTimeout(() => { this.checkPortMapping() }, UPNP_GRACE_MS)
      this.upnpTimer.unref()
    }
    this.started = true
  }

  stop (): void {
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.relayClient?.stop()
    clearTimeout(this.upnpTimer)
    this.started = false
  }

  reachability (): Reachability {
    return reachabilityOf(this.components.addressManager.getAddressesWithMetadata(), this.init.networks)
  }

  directReach (): DirectReach {
    return directReachOf(this.components.addressManager.getAddressesWithMetadata(), this.init.networks)
  }

  relayAddresses (): string[] {
    const own = `/p2p/${this.components.peerId.toString()}`
    return circuitAddresses(this.components.addressManager.getAddressesWithMetadata())
      .map(address => address.endsWith(own) ? address : `${address}${own}`)
  }

  sourceOf (peer: string): PeerSource | undefined {
    return this.sources.get(peer)
  }

  markSource (peer: string, source: PeerSource): void {
    if (this.sources.has(peer)) {
      return
    }
    if (this.sources.size >= MAX_SOURCES) {
      this.sources.delete(this.sources.keys().next().value as string)
    }
    this.sources.set(peer, source)
  }

  watchLan (mdns: PeerDiscovery): void {
    this.lan.watch(mdns)
  }

  async checkRelays (): Promise<void> {
    await this.relayClient?.check()
  }

  async awaitDialBacks (peers: string[]): Promise<void> {
    if (this.reachability() !== 'public') {
      return
    }
    const ids = peers.flatMap(peer => {
      try {
        return [peerIdFromString(peer)]
      } catch {
        return []
      }
    })
    await this.dialBackWait.wait(ids)
  }

  private onIdentify (event: CustomEvent<IdentifyResult>): void {
    const { peerId, connection } = event.detail
    this.markSource(peerId.toString(), connection.direction === 'inbound' ? 'inbound' : 'dialed')
    this.reversal.onIdentify(event.detail)
    // a relay-serving peer just told us its protocols: reserve without waiting for the timer
    void this.relayClient?.check()
  }

  private checkPortMapping (): void {
    const mapped = this.components.addressManager.getAddressesWithMetadata().filter(address => address.type === 'ip-mapping')
    this.notice(mapped.length > 0
      ? `upnp: the router maps ${mapped.map(address => address.multiaddr.toString()).join(', ')} to this node`
      : 'upnp: no UPnP router answered; the node goes on without a port mapping (a relay, or `announce` with a manual port forward, can make it reachable)')
  }

  private notice (message: string): void {
    this.components.logger.forComponent('peerit:reach')(message)
    try {
      this.init.onNotice?.(message)
    } catch {
      // a notice listener must never break the service
    }
  }
}

/** The reachability service factory, to mount as `peeritReach`. */
export function peeritReach (init: PeeritReachInit): (components: PeeritReachComponents) => PeeritReach {
  return (components) => new PeeritReachService(components, init)
}
