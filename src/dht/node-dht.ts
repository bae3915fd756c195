/**
 * What a PeerIT node does with its DHT: keeps its shared files provided,
 * picks its mode, finds a content id's providers and a peer's addresses, and
 * dials a peer whose known addresses fail by looking it up first. PeerNode
 * holds one of these when `dht` is on and calls it from small hooks.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { UnknownPeerError } from '../errors.ts'
import { withTimeout } from '../timing.ts'
import { findContentProviders, findPeerAddresses, MAX_PROVIDERS } from './lookup.ts'
import { ContentProvider } from './provider.ts'
import type { AddressScope, DhtMode } from './address-scope.ts'
import type { FindProvidersOptions, LookupOptions } from './lookup.ts'
import type { ProvidedFile, ProvideStats } from './provider.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId, PeerInfo } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** Shared-index changes are gathered this long before the provide queue is brought up to date. */
const RECONCILE_DELAY_MS = 200

/** A provider lookup is reused this long: resolving a download and its first provider round ask at once. */
const PROVIDER_CACHE_MS = 10_000

/** Content ids whose providers are remembered at once. */
const PROVIDER_CACHE_SIZE = 256

/** A dial before a lookup gives up after this long. */
export const DIAL_TIMEOUT_MS = 10_000

/** What `status` reports of the DHT. */
export interface DhtStatus extends ProvideStats {
  mode: 'server' | 'client'
  /** Peers in the routing table. */
  routingTablePeers: number
}

/** What a {@link NodeDht} is built from. */
export interface NodeDhtInit {
  libp2p: Libp2p
  dht: KadDHT
  mode: DhtMode
  scope: AddressScope
  /** The shared files now (read at each {@link NodeDht.sharesChanged}). */
  sharedFiles: () => ProvidedFile[]
  logger: ComponentLogger
  provideConcurrency?: number
  /** Told of each peer whose addresses came from the DHT, before it is dialled (`list peers` shows `source: 'dht'`). */
  onPeerFound?: (peerId: string) => void
  /** The DHT's datastore, closed by {@link NodeDht.close} once libp2p has stopped. */
  datastore?: { close: () => Promise<void> }
}

/** The DHT side of a node. */
export class NodeDht {
  readonly dht: KadDHT
  private readonly init: NodeDhtInit
  private readonly log: Logger
  private readonly provider: ContentProvider
  private reconcileTimer?: ReturnType<typeof setTimeout>
  private readonly recentProviders = new Map<string, { at: number, providers: PeerInfo[] }>()
  private running = false

  constructor (init: NodeDhtInit) {
    this.init = init
    this.dht = init.dht
    this.log = init.logger.forComponent('peerit:dht:node')
    this.provider = new ContentProvider({
      dht: init.dht,
      hasPeers: () => this.routingTableSize() > 0,
      log: init.logger.forComponent('peerit:dht:provide'),
      concurrency: init.provideConcurrency
    })
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
  }

  /** Call once libp2p runs: picks the mode and starts providing. */
  start (): void {
    this.running = true
    if (this.init.mode === 'auto') {
      this.init.libp2p.addEventListener('self:peer:update', this.onSelfUpdate)
      this.onSelfUpdate()
    }
    this.provider.start()
    this.reconcile()
  }

  /** Closes the DHT's datastore; call after libp2p has stopped. */
  async close (): Promise<void> {
    await this.init.datastore?.close()
  }

  stop (): void {
    this.running = false
    clearTimeout(this.reconcileTimer)
    this.reconcileTimer = undefined
    this.init.libp2p.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.provider.stop()
  }

  /**
   * Call whenever the shared index changed: new files are provided next. A
   * sync of thousands of files calls this for each, so the queue is brought
   * up to date at most every {@link RECONCILE_DELAY_MS}, also while it lasts.
   */
  sharesChanged (): void {
    if (this.running && this.reconcileTimer == null) {
      this.reconcileTimer = setTimeout(() => { this.reconcile() }, RECONCILE_DELAY_MS)
      this.reconcileTimer.unref()
    }
  }

  private reconcile (): void {
    clearTimeout(this.reconcileTimer)
    this.reconcileTimer = undefined
    this.provider.reconcile(this.init.sharedFiles())
  }

  /** Resolves once every shared file has had its provide (benchmarks and tests wait on it). */
  async providesSettled (): Promise<void> {
    this.reconcile()
    await this.provider.onIdle()
  }

  status (): DhtStatus {
    return { mode: this.dht.getMode(), routingTablePeers: this.routingTableSize(), ...this.provider.stats() }
  }

  /** The providers of a content id (never this node), their addresses put in the address book. */
  async findProviders (contentId: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
    const recent = this.recentProviders.get(contentId)
    if (recent != null && Date.now() - recent.at < PROVIDER_CACHE_MS) {
      return recent.providers
    }
    const providers = await findContentProviders(this.dht, contentId, { exclude: this.init.libp2p.peerId, ...options })
    await Promise.all(providers.map(async p => this.learn(p.id, p.multiaddrs)))
    this.recentProviders.delete(contentId)
    if (providers.length > 0) {
      this.recentProviders.set(contentId, { at: Date.now(), providers })
      if (this.recentProviders.size > PROVIDER_CACHE_SIZE) {
        this.recentProviders.delete(this.recentProviders.keys().next().value as string)
      }
    }
    return providers
  }

  /** Looks a peer up on the DHT; true when new addresses went to the address book. */
  async lookUp (peerId: PeerId, options: LookupOptions = {}): Promise<boolean> {
    const addresses = await findPeerAddresses(this.dht, peerId, options)
    await this.learn(peerId, addresses)
    return addresses.length > 0
  }

  /**
   * Dials a peer: its known addresses first, then, when they fail (or there
   * are none), the addresses the DHT has for it now.
   */
  async dial (peerId: PeerId, options: { signal?: AbortSignal } = {}): Promise<Connection> {
    try {
      return await this.init.libp2p.dial(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT_MS) })
    } catch (err) {
      options.signal?.throwIfAborted()
      this.log('dial of %p failed, looking it up - %e', peerId, err)
      if (!await this.lookUp(peerId, options)) {
        throw new UnknownPeerError(`peer ${peerId.toString()} cannot be reached at the addresses known for it, and the DHT does not know others`)
      }
      return this.init.libp2p.dial(peerId, { signal: withTimeout(options.signal, DIAL_TIMEOUT_MS) })
    }
  }

  /**
   * Dials peers (at most {@link MAX_PROVIDERS}) that are not connected, each with
   * a lookup when its addresses fail; resolves as soon as one is connected or
   * all have failed. The other dials go on, so a download can start at once
   * and pick up the rest as they connect.
   */
  async reachAny (peerIds: string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const connected = new Set(this.init.libp2p.getConnections().map(c => c.remotePeer.toString()))
    const targets = peerIds.slice(0, MAX_PROVIDERS)
    if (targets.length === 0 || targets.some(id => connected.has(id))) {
      targets.filter(id => !connected.has(id)).forEach(id => { void this.dialQuietly(id, options.signal) })
      return
    }
    await Promise.any(targets.map(async id => this.dialQuietly(id, options.signal).then(ok => {
      if (!ok) {
        throw new Error('unreachable')
      }
    }))).catch(() => {})
  }

  private async dialQuietly (id: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.dial(peerIdFromString(id), { signal })
      return true
    } catch (err) {
      this.log('provider %s is unreachable - %e', id, err)
      return false
    }
  }

  onSelfUpdate (): void {
    const wanted = this.init.scope.preferredMode()
    if (wanted === this.dht.getMode()) {
      return
    }
    this.log('switching the DHT to %s mode', wanted)
    this.dht.setMode(wanted).catch((err: Error) => { this.log.error('could not switch the DHT to %s mode - %e', wanted, err) })
  }

  private async learn (peerId: PeerId, multiaddrs: PeerInfo['multiaddrs']): Promise<void> {
    if (multiaddrs.length === 0 || peerId.equals(this.init.libp2p.peerId)) {
      return
    }
    this.init.onPeerFound?.(peerId.toString())
    try {
      await this.init.libp2p.peerStore.merge(peerId, { multiaddrs })
    } catch (err) {
      this.log('ignoring unusable addresses of %p - %e', peerId, err)
    }
  }

  private routingTableSize (): number {
    // kad-dht's instance has a routing table; its public type does not say so.
    return (this.dht as KadDHT & { routingTable?: { size: number } }).routingTable?.size ?? 0
  }
}
