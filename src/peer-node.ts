import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { BlockList } from './block-list.ts'
import { Contacts, contactAddress, P2P_CODE } from './contacts.ts'
import { AddressScope } from './dht/address-scope.ts'
import { pickHints, readHints } from './dht/hints.ts'
import { NodeDht } from './dht/node-dht.ts'
import { openDhtDatastore } from './dht/service.ts'
import { DiscoveredFiles } from './discovered-files.ts'
import { DownloadManager } from './downloads/download-manager.ts'
import { AmbiguousFileError, DialError, FileNotFoundError, InvalidParamsError, UnknownPeerError } from './errors.ts'
import { GuardedEventEmitter } from './guarded-events.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { createPeeritLibp2p } from './libp2p.ts'
import { resolveLimits } from './limits.ts'
import { InvalidLinkError, formatLink, isLink, parseLink } from './link.ts'
import { listenError } from './listen-failure.ts'
import { resolvePeerId } from './peer-ids.ts'
import { parsePeerUrl } from './peer-url.ts'
import { parsePublicNetworks } from './public-networks.ts'
import { DEFAULT_REACH } from './reach/libp2p-options.ts'
import { connectionKind, peerSource } from './reach/peer-view.ts'
import { checkUserQuery } from './search/index.ts'
import { DownloadedFiles } from './shared-index/downloaded.ts'
import { SharedSources } from './shared-index/sources.ts'
import { SharedIndex } from './shared-index.ts'
import { Store } from './store.ts'
import { withTimeout } from './timing.ts'
import { PEERIT_VERSION } from './version.ts'
import type { FetchResult, ProviderRecord } from '../protocols/fetch/index.ts'
import type { BlockedPeer } from './block-list.ts'
import type { Contact } from './contacts.ts'
import type { DiscoveredFile } from './discovered-files.ts'
import type { DownloadChange, DownloadEntry, DownloadProgress, DownloadRequest, DownloadSelector, ResumeOutcome } from './downloads/index.ts'
import type { PeeritServices } from './libp2p.ts'
import type { PeeritLink } from './link.ts'
import type {
  BlockResult, FileLink, NodeDownloadOptions, NodeDownloadResult, NodeFetchOptions, NodeStatus, PeerInfo, PeerNode, PeerNodeEvents, PeerNodeOptions, TransferLimits
} from './peer-node-types.ts'
import type { RefusalBackoff } from './refusal-backoff.ts'
import type { SearchQuery } from './search/index.ts'
import type { SharedFile, SyncResult } from './shared-index.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'

export type * from './peer-node-types.ts'

/** How long start() waits for the first contact dials and the initial sync before it returns anyway. */
const STARTUP_GRACE_MS = 3000

/** How often stale providers are looked for: a fraction of the shortest sensible age. */
const AGE_OUT_INTERVAL_MS = 10 * 60_000

/** A `connect` to a bare peer id: a DHT lookup, then a dial. */
const CONNECT_BY_ID_TIMEOUT_MS = 30_000

/** Links downloaded recently whose peer hints are remembered for their download's provider rounds. */
const MAX_LINK_HINTS = 1000

/** Creates a PeerIT node; call `start()` to bring it up. */
export async function createPeerNode (options: PeerNodeOptions): Promise<PeerNode> {
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 })
  await mkdir(options.sharedDir, { recursive: true })
  await mkdir(options.downloadDir, { recursive: true })
  const logger = options.logger ?? defaultLogger()
  const privateKey = await loadOrCreateIdentity(join(options.stateDir, 'identity.key'))
  const store = new Store(join(options.stateDir, 'db'))
  await store.open()
  const dhtOptions = options.dht ?? {}
  const dhtDatastore = dhtOptions.enabled === false ? undefined : await openDhtDatastore(options.stateDir).catch(async (err) => { await store.close(); throw err })
  try {
    let nodeDht: NodeDht | undefined
    let own: Libp2p | undefined
    const blockList = new BlockList({ section: store.section('blocked') })
    await blockList.load()
    // the fetch service and the DHT exist only once libp2p does; share changes before that are covered by their first pass
    let onShareChange = (): void => {}
    const sharedIndex = new SharedIndex({ section: store.section('sharedIndex'), sharedDir: options.sharedDir, logger, onChange: () => { onShareChange() } })
    const downloaded = new DownloadedFiles(store.section('downloadedFiles'), logger.forComponent('peerit:shared-index'))
    const sources = new SharedSources(sharedIndex, downloaded, options.shareDownloads ?? true)
    const reach = { ...DEFAULT_REACH, ...options.reach }
    const scope = new AddressScope(parsePublicNetworks(reach.publicNetworks), () => own?.getMultiaddrs() ?? [])
    const dhtMode = dhtOptions.mode ?? 'auto'
    // Notices from before the node exists (parts switched off) wait for its first listener.
    const notices: NoticeSink = { early: [] }
    const { libp2p, refusals } = await createPeeritLibp2p({
      privateKey,
      listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'],
      limits: resolveLimits({ ...options.limits, maxConnections: options.limits?.maxConnections ?? options.maxConnections }),
      logger,
      isBlocked: peerId => blockList.has(peerId),
      fetch: { localFiles: (query) => sources.match(query), sharedNames: () => sources.list().map(file => file.name) },
      file: {
        lookup: (contentId) => sources.get(contentId),
        onUnavailable: (contentId, source) => {
          sources.forgetUnavailable(contentId, source.path).catch((err: Error) => { logger.forComponent('peerit:node').error('dropping %s failed - %e', source.path, err) })
        }
      },
      reach,
      onNotice: (message) => { notices.emit == null ? notices.early.push(message) : notices.emit(message) },
      dht: dhtDatastore == null ? undefined : { datastore: dhtDatastore, scope, mode: dhtMode, kad: dhtOptions.kad }
    })
    own = libp2p
    if (libp2p.services.dht != null) {
      nodeDht = new NodeDht({
        libp2p,
        dht: libp2p.services.dht,
        mode: dhtMode,
        scope,
        sharedFiles: () => sources.list(),
        logger,
        provideConcurrency: dhtOptions.provideConcurrency,
        onPeerFound: (peerId) => { libp2p.services.peeritReach.markSource(peerId, 'dht') },
        datastore: dhtDatastore
      })
    }
    onShareChange = () => {
      libp2p.services.peeritFetch.sharesChanged()
      nodeDht?.sharesChanged()
    }
    return new DefaultPeerNode(options, { logger, store, libp2p, sharedIndex, sources, blockList, refusals, notices, dht: nodeDht })
  } catch (err) {
    await dhtDatastore?.close()
    await store.close()
    throw err
  }
}

/** Where reachability notices go: `early` until the node is built, then `emit`. */
interface NoticeSink {
  early: string[]
  emit?: (message: string) => void
}

interface NodeParts {
  logger: ComponentLogger
  store: Store
  libp2p: Libp2p<PeeritServices>
  sharedIndex: SharedIndex
  sources: SharedSources
  dht?: NodeDht
  blockList: BlockList
  refusals: RefusalBackoff
  notices: NoticeSink
}

class DefaultPeerNode extends GuardedEventEmitter<PeerNodeEvents> implements PeerNode {
  readonly peerId: string
  readonly libp2p: Libp2p<PeeritServices>
  private readonly options: PeerNodeOptions
  private readonly log: Logger
  private readonly store: Store
  private readonly contacts: Contacts
  private readonly sharedIndex: SharedIndex
  private readonly sources: SharedSources
  private readonly blockList: BlockList
  private readonly refusals: RefusalBackoff
  private readonly discoveredFiles: DiscoveredFiles
  private readonly downloadManager: DownloadManager
  private readonly dht?: NodeDht
  /** Peer ids of the hints of links being downloaded, by content id (oldest dropped first). */
  private readonly linkHints = new Map<string, string[]>()
  private readonly connectedSince = new Map<string, number>()
  private startedAt = 0
  private ageOutTimer?: ReturnType<typeof setInterval>
  private discoveredOpening: Promise<void> = Promise.resolve()
  private uploadBytesPerSecond: number
  private readonly notices: NoticeSink

  constructor (options: PeerNodeOptions, parts: NodeParts) {
    super()
    this.options = options
    this.libp2p = parts.libp2p
    this.peerId = parts.libp2p.peerId.toString()
    this.store = parts.store
    this.sharedIndex = parts.sharedIndex
    this.sources = parts.sources
    this.dht = parts.dht
    this.blockList = parts.blockList
    this.refusals = parts.refusals
    this.log = parts.logger.forComponent('peerit:node')
    const dht = parts.dht
    this.contacts = new Contacts({
      section: parts.store.section('contacts'),
      libp2p: parts.libp2p,
      logger: parts.logger,
      lookUp: dht == null ? undefined : async (peerId, signal) => dht.lookUp(peerIdFromString(peerId), { signal })
    })
    this.discoveredFiles = new DiscoveredFiles({
      files: parts.store.section('discoveredFiles'),
      logger: parts.logger,
      providerMaxAgeMs: options.providerMaxAgeMs,
      snapshotPath: join(options.stateDir, 'discovered.snapshot')
    })
    this.downloadManager = new DownloadManager({
      file: parts.libp2p.services.peeritFile,
      section: parts.store.section('downloads'),
      downloadDir: options.downloadDir,
      providers: async (contentId, only, signal) => {
        const ids = await this.providersOf(contentId, only, signal)
        await this.libp2p.services.peeritReach.awaitDialBacks(ids)
        return ids
      },
      logger: parts.logger,
      bytesPerSecond: options.limits?.downloadBytesPerSecond,
      onStatus: (entry) => { this.safeDispatch('download:status', entry) },
      onFinished: (result, manifest) => {
        this.safeDispatch('download:finished', result)
        this.sources.downloaded.add(result.contentId, result.path, manifest)
          .then(() => { this.sharesChanged() })
          .catch((err: Error) => { this.log.error('cannot seed %s - %e', result.path, err) })
      }
    })
    this.uploadBytesPerSecond = options.limits?.uploadBytesPerSecond ?? 0
    this.notices = parts.notices
    this.libp2p.addEventListener('peer:connect', (event) => { this.onPeerConnect(event.detail) })
    this.libp2p.addEventListener('peer:disconnect', (event) => { this.onPeerDisconnect(event.detail) })
    // New own addresses (a relay slot reserved again) may be the path an interrupted download waits for.
    this.libp2p.addEventListener('self:peer:update', () => { this.downloadManager.pathsChanged() })
  }

  async start (): Promise<void> {
    await this.contacts.load()
    await this.sharedIndex.open()
    await this.sources.downloaded.open()
    // A store of a million discovered files takes seconds to load: the node serves meanwhile,
    // and whatever needs the store waits for it.
    this.discoveredOpening = this.discoveredFiles.open()
    this.discoveredOpening.catch((err: Error) => { this.log.error('opening the discovered-file store failed - %e', err) })
    try {
      await this.libp2p.start()
    } catch (err: any) {
      throw await listenError(this.options.listen ?? [], err)
    }
    this.startedAt = Date.now()
    this.dht?.start()
    this.notices.emit = (message) => { this.safeDispatch('reach:notice', { message }) }
    this.notices.early.splice(0).forEach(this.notices.emit)
    for (const url of this.options.peers ?? []) {
      const peer = parsePeerUrl(url)
      await this.contacts.add(contactAddress(peer), peer.peerId, 'config')
    }
    const firstDials = this.contacts.start()
    const initialSync = this.sharedIndex.sync().then(() => {
      if (this.options.watch === true) {
        this.sharedIndex.watch()
      }
    }, (err) => { this.log.error('initial sync failed - %e', err) })
    // A node is most useful once its contacts are dialled and its shared folder indexed, so
    // start() waits for both; but never long: a big folder goes on indexing while the node serves.
    await Promise.race([Promise.all([firstDials, initialSync]), sleep(STARTUP_GRACE_MS, undefined, { ref: false })])
    this.ageOutTimer = setInterval(() => { void this.ageOut() }, AGE_OUT_INTERVAL_MS)
    this.ageOutTimer.unref()
    void this.ageOut()
    void this.downloadManager.resumeAll().catch((err) => { this.log.error('resuming downloads failed - %e', err) })
  }

  async stop (): Promise<void> {
    clearInterval(this.ageOutTimer)
    this.dht?.stop()
    this.contacts.stop()
    await this.downloadManager.stop()
    await this.sharedIndex.close()
    await this.libp2p.stop()
    await this.dht?.close()
    await this.discoveredOpening.then(async () => { await this.discoveredFiles.close() }).catch((err: Error) => {
      this.log.error('saving the discovered-file snapshot failed - %e', err)
    })
    await this.store.close()
  }

  status (): NodeStatus {
    return {
      peerId: this.peerId,
      addresses: this.libp2p.getMultiaddrs().map(ma => ma.toString()),
      connectedPeers: this.libp2p.getPeers().length,
      contacts: this.contacts.list().length,
      sharedFiles: this.sources.size,
      discoveredFiles: this.discoveredFiles.size,
      uptimeSeconds: this.startedAt === 0 ? 0 : Math.round((Date.now() - this.startedAt) / 1000),
      version: PEERIT_VERSION,
      uploadedBytes: this.libp2p.services.peeritFile.stats.bytesServed,
      ...(this.dht == null ? {} : { dht: this.dht.status() }),
      reachability: this.libp2p.services.peeritReach.reachability(),
      directReach: this.libp2p.services.peeritReach.directReach(),
      relayAddresses: this.libp2p.services.peeritReach.relayAddresses(),
      ...relayStatus(this.libp2p)
    }
  }

  async connect (url: string, options: { signal?: AbortSignal } = {}): Promise<{ peerId: string, address: string }> {
    const bareId = barePeerId(url)
    if (bareId != null) {
      return this.connectById(bareId, options)
    }
    const peer = parsePeerUrl(url)
    if (peer.peerId === this.peerId) {
      throw new DialError('that address is this node itself')
    }
    const address = contactAddress(peer)
    if (peer.peerId != null) {
      this.refusals.forgive(peer.peerId)
    }
    let connection
    try {
      connection = await this.libp2p.dial(peer.multiaddr, { signal: withTimeout(options.signal, 15_000) })
    } catch (err: any) {
      // The address failed; a peer id lets the DHT say where the peer is now.
      if (peer.peerId == null || this.dht == null) {
        throw new DialError(`cannot reach ${url}: ${err.message}`, { cause: err })
      }
      connection = await this.dialThroughDht(peer.peerId, options.signal)
    }
    const peerId = connection.remotePeer.toString()
    if (peerId === this.peerId) {
      throw new DialError('that address is this node itself')
    }
    await this.contacts.add(address, peerId, 'user')
    return { peerId, address: connection.remoteAddr.toString() }
  }

  /** `connect <peerId>`: the DHT finds the peer's addresses; the contact is the address that answered. */
  private async connectById (peerId: string, options: { signal?: AbortSignal }): Promise<{ peerId: string, address: string }> {
    if (peerId === this.peerId) {
      throw new DialError('that peer id is this node itself')
    }
    if (this.dht == null) {
      throw new InvalidParamsError('connecting by peer id alone needs the DHT, which is off ("dht": false): give host:port or a multiaddr')
    }
    this.refusals.forgive(peerId)
    const connection = await this.dialThroughDht(peerId, options.signal)
    await this.contacts.add(connection.remoteAddr.decapsulateCode(P2P_CODE).toString(), peerId, 'user')
    return { peerId, address: connection.remoteAddr.toString() }
  }

  private async dialThroughDht (peerId: string, signal?: AbortSignal): Promise<Connection> {
    try {
      return await (this.dht as NodeDht).dial(peerIdFromString(peerId), { signal: withTimeout(signal, CONNECT_BY_ID_TIMEOUT_MS) })
    } catch (err: any) {
      if (err.code === UnknownPeerError.code) {
        throw err
      }
      throw new DialError(`cannot reach ${peerId}: ${err.message}`, { cause: err })
    }
  }

  async disconnect (urlOrPeerId: string): Promise<{ peerIds: string[], contactsRemoved: number }> {
    const match = parseDisconnectTarget(urlOrPeerId)
    const removed = await this.contacts.remove(match)
    const peerIds = new Set<string>(removed.flatMap(c => c.peerId == null ? [] : [c.peerId]))
    if (match.peerId != null) {
      peerIds.add(match.peerId)
    }
    for (const connection of this.libp2p.getConnections()) {
      if (match.address != null && connection.remoteAddr.toString().startsWith(match.address)) {
        peerIds.add(connection.remotePeer.toString())
      }
    }
    const connected = [...peerIds].filter(id => this.libp2p.getConnections().some(c => c.remotePeer.toString() === id))
    if (removed.length === 0 && connected.length === 0) {
      throw new UnknownPeerError(`no contact or connected peer matches ${urlOrPeerId}: see \`peerit list peers\``)
    }
    await Promise.all(connected.map(async id => this.libp2p.hangUp(peerIdFromString(id))))
    return { peerIds: [...peerIds], contactsRemoved: removed.length }
  }

  async block (peerId: string): Promise<BlockResult> {
    const id = parsePeerId(peerId)
    if (id === this.peerId) {
      throw new InvalidParamsError('that peer id is this node itself')
    }
    await this.blockList.add(id)
    // A blocked contact would only be redialled and refused, forever.
    const removed = await this.contacts.remove({ peerId: id })
    const disconnected = this.libp2p.getConnections().some(c => c.remotePeer.toString() === id)
    if (disconnected) {
      await this.libp2p.hangUp(peerIdFromString(id))
    }
    return { peerId: id, blocked: true, contactsRemoved: removed.length, disconnected }
  }

  async unblock (peerId: string): Promise<{ peerId: string, blocked: false }> {
    const id = parsePeerId(peerId)
    if (!await this.blockList.remove(id)) {
      throw new UnknownPeerError(`${id} is not blocked: see \`peerit list blocked\``)
    }
    return { peerId: id, blocked: false }
  }

  blocked (): BlockedPeer[] {
    return this.blockList.list()
  }

  peers (): PeerInfo[] {
    const byPeer = new Map<string, PeerInfo>()
    const result: PeerInfo[] = []
    for (const connection of this.libp2p.getConnections()) {
      const id = connection.remotePeer.toString()
      const info = byPeer.get(id) ?? {
        peerId: id,
        addresses: [],
        connected: true,
        contact: false,
        connectedSince: this.connectedSince.get(id),
        connection: connectionKind(this.libp2p.getConnections(connection.remotePeer)),
        source: this.libp2p.services.peeritReach.sourceOf(id) ?? 'dialed'
      }
      // Without `/p2p/…`, so a contact's address and its connection's compare equal.
      const address = connection.remoteAddr.decapsulateCode(P2P_CODE).toString()
      if (!info.addresses.includes(address)) {
        info.addresses.push(address)
      }
      byPeer.set(id, info)
    }
    for (const contact of this.contacts.list()) {
      const known = contact.peerId == null ? undefined : byPeer.get(contact.peerId)
      if (known != null) {
        known.contact = true
        known.source = peerSource(contact)
        if (!known.addresses.includes(contact.address)) {
          known.addresses.push(contact.address)
        }
      } else {
        result.push(contactInfo(contact))
      }
    }
    return [...byPeer.values(), ...result]
  }

  async sync (options: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    return this.sharedIndex.sync(options)
  }

  async share (path: string): Promise<SharedFile> {
    return this.sharedIndex.share(path)
  }

  async link (nameOrId: string): Promise<FileLink> {
    const file = await this.resolveLinkTarget(nameOrId)
    const sources = []
    if (this.sharedIndex.get(file.id) != null) {
      sources.push({ peerId: this.peerId, addresses: this.libp2p.getMultiaddrs().map(ma => ma.toString()) })
    }
    const discovered = await (await this.discovered()).get(file.id)
    sources.push(...(discovered?.providers ?? []).filter(p => p.peerId !== this.peerId))
    if (sources.length === 0 && this.dht != null) {
      const found = await this.dht.findProviders(file.id)
      sources.push(...found.map(p => ({ peerId: p.id.toString(), addresses: p.multiaddrs.map(ma => ma.toString()) })))
    }
    try {
      const link = formatLink({ contentId: file.id, name: file.name, size: file.size, peers: pickHints(sources) })
      return { link, contentId: file.id, name: file.name, size: file.size }
    } catch (err: any) {
      throw new InvalidParamsError(`cannot make a link to "${file.name}": ${err.message}`)
    }
  }

  /** A shared file first (by name, id or id prefix), else a discovered one. */
  private async resolveLinkTarget (nameOrId: string): Promise<{ id: string, name: string, size: number }> {
    const wanted = nameOrId.trim()
    const prefix = /^[0-9a-f]{4,64}$/i.test(wanted) ? wanted.toLowerCase() : undefined
    const shared = new Map<string, SharedFile>()
    for (const file of this.sharedIndex.list()) {
      if ((prefix != null && file.id.startsWith(prefix)) || file.name === wanted) {
        shared.set(file.id, file)
      }
    }
    if (shared.size > 1) {
      const candidates = [...shared.values()].map(f => ({ id: f.id, name: f.name, size: f.size }))
      throw new AmbiguousFileError(`${candidates.length} shared files match "${wanted}": choose one with \`peerit link -i <id>\``, candidates)
    }
    return [...shared.values()][0] ?? this.resolveFile(wanted)
  }

  sharedFiles (): SharedFile[] {
    return this.sources.list()
  }

  /** What is served changed beside the shared folder: the routing tables and the DHT's provides follow. */
  private sharesChanged (): void {
    this.libp2p.services.peeritFetch.sharesChanged()
    this.dht?.sharesChanged()
  }

  setShareDownloads (share: boolean): void {
    this.sources.shareDownloads = share
    this.sharesChanged()
    this.log('completed downloads are %s', share ? 'served to other peers' : 'no longer served')
  }

  async fetch (options: NodeFetchOptions = {}): Promise<FetchResult> {
    if (options.query != null) {
      checkUserQuery(options.query)
    }
    const result = await this.libp2p.services.peeritFetch.fetch(options)
    await this.learnProviders(result.records)
    const files = await (await this.discovered()).ingest(result.records)
    this.safeDispatch('file:discovered', { fetchId: result.fetchId, files: files.files, peersReached: result.peersReached })
    return result
  }

  async search (query: SearchQuery | string, options?: { limit?: number }): Promise<DiscoveredFile[]> {
    const search = typeof query === 'string' ? { text: query } : query
    checkUserQuery(search)
    return (await this.discovered()).search(search, options)
  }

  async files (options?: { limit?: number, offset?: number }): Promise<DiscoveredFile[]> {
    return (await this.discovered()).list(options)
  }

  async resolveFile (nameOrId: string, options: { from?: string[], byId?: boolean } = {}): Promise<DiscoveredFile> {
    const wanted = nameOrId.trim()
    if (wanted === '') {
      throw new InvalidParamsError('name or id is empty')
    }
    if (options.byId === true) {
      checkIdPrefix(wanted)
    }
    let candidates: DiscoveredFile[] = []
    if (/^[0-9a-f]{4,64}$/i.test(wanted)) {
      candidates = await (await this.discovered()).byIdPrefix(wanted.toLowerCase())
    }
    if (options.byId === true && candidates.length === 0) {
      throw new FileNotFoundError(`no discovered file's id starts with ${wanted}: run \`peerit fetch\`, then \`peerit search\` for ids`)
    }
    if (candidates.length === 0) {
      candidates = await (await this.discovered()).byName(wanted)
    }
    if (candidates.length === 0) {
      candidates = await (await this.discovered()).search({ text: wanted }, { limit: 50 })
    }
    if (options.from != null) {
      const from = new Set(options.from)
      const offered = candidates.filter(f => f.providers.some(p => from.has(p.peerId)))
      candidates = offered.length > 0 ? offered : candidates
    }
    if (candidates.length === 1) {
      return candidates[0]
    }
    if (candidates.length === 0) {
      throw new FileNotFoundError(`no discovered file matches "${wanted}": run \`peerit fetch\` to learn what peers share, then \`peerit search\``)
    }
    throw new AmbiguousFileError(`${candidates.length} files match "${wanted}": choose one with \`peerit download -i <id>\` (or \`-p <peer>\`)`,
      candidates.map(f => ({ id: f.id, name: f.name, size: f.size, providers: f.providers.map(p => p.peerId) })))
  }

  async download (nameOrId: string, options: NodeDownloadOptions = {}): Promise<string> {
    return (await this.downloadFile(nameOrId, options)).path
  }

  async downloadFile (nameOrId: string, options: NodeDownloadOptions = {}): Promise<NodeDownloadResult> {
    const from = await this.resolvePeers(options.from)
    const request = await this.downloadRequest(nameOrId, from, options.byId)
    const shared = this.sharedIndex.get(request.contentId)
    if (shared != null) {
      return { contentId: request.contentId, name: shared.name, path: shared.path, size: shared.size, providers: [], alreadyShared: true }
    }
    return this.downloadManager.download({ ...request, from }, {
      signal: options.signal,
      onProgress: (progress) => {
        options.onProgress?.(progress)
        this.safeDispatch('download:progress', progress)
      }
    })
  }

  async startDownload (nameOrId: string, options: { from?: string[], byId?: boolean } = {}): Promise<DownloadChange> {
    const from = await this.resolvePeers(options.from)
    const request = await this.downloadRequest(nameOrId, from, options.byId)
    const shared = this.sharedIndex.get(request.contentId)
    if (shared != null) {
      return { contentId: request.contentId, name: shared.name, status: 'completed' }
    }
    return this.downloadManager.start({ ...request, from })
  }

  /** What to download: a link's file, a download the manager already holds, or a file resolved by name or id. */
  private async downloadRequest (nameOrId: string, from?: string[], byId?: boolean): Promise<DownloadRequest> {
    if (isLink(nameOrId)) {
      return await this.linkRequest(nameOrId)
    }
    const known = await this.knownDownload(nameOrId)
    return known != null ? { contentId: known.id, name: known.name, size: known.size } : await this.resolveFileForDownload(nameOrId, from, byId)
  }

  async downloads (): Promise<DownloadEntry[]> {
    return this.downloadManager.list()
  }

  async clearDownloads (): Promise<DownloadEntry[]> {
    return this.downloadManager.clear()
  }

  async pause (selector: DownloadSelector): Promise<DownloadChange[]> {
    return this.downloadManager.pause(selector)
  }

  async resume (selector: DownloadSelector): Promise<DownloadChange[]> {
    return this.downloadManager.resume(selector)
  }

  async cancel (selector: DownloadSelector): Promise<DownloadChange[]> {
    return this.downloadManager.cancel(selector)
  }

  limits (): TransferLimits {
    return { uploadBytesPerSecond: this.uploadBytesPerSecond, downloadBytesPerSecond: this.downloadManager.bytesPerSecond }
  }

  setLimits (limits: Partial<TransferLimits>): TransferLimits {
    if (limits.uploadBytesPerSecond != null) {
      this.libp2p.services.peeritFile.setUploadBytesPerSecond(limits.uploadBytesPerSecond)
      this.uploadBytesPerSecond = limits.uploadBytesPerSecond
    }
    if (limits.downloadBytesPerSecond != null) {
      this.downloadManager.setRate(limits.downloadBytesPerSecond)
    }
    this.log('limits now: upload %d B/s, download %d B/s (0 = unlimited)', this.uploadBytesPerSecond, this.downloadManager.bytesPerSecond)
    return this.limits()
  }

  async resumeDownloads (options: { signal?: AbortSignal, onProgress?: (progress: DownloadProgress) => void } = {}): Promise<ResumeOutcome> {
    return this.downloadManager.resumeAll(options)
  }

  /** Full peer ids for what the user gave (`-p`): whole ids, or unique prefixes of peers this node knows. */
  private async resolvePeers (from?: string[]): Promise<string[] | undefined> {
    if (from == null) {
      return undefined
    }
    const known = new Set<string>((await this.libp2p.peerStore.all()).map(peer => peer.id.toString()))
    for (const contact of this.contacts.list()) {
      if (contact.peerId != null) {
        known.add(contact.peerId)
      }
    }
    return from.map(input => resolvePeerId(input, known))
  }

  /** A download the manager holds (stopped or running), by its whole content id: it needs no discovered file. */
  private async knownDownload (contentId: string): Promise<{ id: string, name: string, size: number } | undefined> {
    if (!/^[0-9a-f]{64}$/.test(contentId)) {
      return undefined
    }
    const entry = (await this.downloadManager.list()).find(e => e.contentId === contentId && e.status !== 'completed' && e.status !== 'cancelled')
    return entry == null ? undefined : { id: entry.contentId, name: entry.name, size: entry.size }
  }

  /**
   * A link's download: its peer hints go to the address book and are asked
   * first, the DHT after; its size must match the manifest's.
   */
  private async linkRequest (text: string): Promise<DownloadRequest> {
    let link: PeeritLink
    try {
      link = parseLink(text)
    } catch (err) {
      if (err instanceof InvalidLinkError) {
        throw err
      }
      throw new InvalidLinkError(`the link cannot be read: ${(err as Error).message}`)
    }
    const hints = readHints(link.peers).filter(h => h.peerId !== this.peerId)
    await this.learnProviders(hints.map(h => ({ peerId: h.peerId, addresses: [h.address.decapsulateCode(P2P_CODE).toString()], files: [], hops: 0 })))
    this.linkHints.delete(link.contentId)
    this.linkHints.set(link.contentId, hints.map(h => h.peerId))
    if (this.linkHints.size > MAX_LINK_HINTS) {
      this.linkHints.delete(this.linkHints.keys().next().value as string)
    }
    const known = await (await this.discovered()).get(link.contentId)
    if (hints.length === 0 && known == null && this.sharedIndex.get(link.contentId) == null) {
      await this.findOnDht(link.contentId)
    }
    return {
      contentId: link.contentId,
      name: link.name ?? known?.name ?? unnamed(link.contentId),
      size: link.size ?? known?.size,
      expectedSize: link.size
    }
  }

  /** Throws a clear FileNotFoundError unless the DHT knows a provider of a content id. */
  private async findOnDht (contentId: string): Promise<void> {
    if (this.dht == null) {
      throw new FileNotFoundError(`no peer is known to have ${contentId.slice(0, 12)}… and the DHT is off ("dht": false): run \`peerit fetch\`, or use a link with peer hints`)
    }
    if ((await this.dht.findProviders(contentId)).length === 0) {
      throw new FileNotFoundError(`no provider of ${contentId.slice(0, 12)}… was found through the DHT (${this.dht.status().routingTablePeers} DHT peers known): check the id, or connect to a peer that has the file`)
    }
  }

  /**
   * With `from`, a file the store does not know is asked of that peer
   * directly: a one-TTL fetch that reaches only its neighbours is enough to
   * learn the peer's own files, and it refreshes the store as a side effect.
   * A full content id the store does not know is looked up on the DHT.
   */
  private async resolveFileForDownload (nameOrId: string, from?: string[], byId?: boolean): Promise<DownloadRequest> {
    try {
      const file = await this.resolveFile(nameOrId, { from, byId })
      return { contentId: file.id, name: file.name, size: file.size }
    } catch (err: any) {
      const contentId = nameOrId.trim().toLowerCase()
      if (from == null && err.code === FileNotFoundError.code && /^[0-9a-f]{64}$/.test(contentId)) {
        await this.findOnDht(contentId)
        return { contentId, name: unnamed(contentId) }
      }
      if (from == null || byId === true || err.code !== FileNotFoundError.code) {
        throw err
      }
      await Promise.all(from.map(async peerId => this.libp2p.dial(peerIdFromString(peerId), { signal: AbortSignal.timeout(10_000) })
        .catch((dialErr: Error) => { throw new DialError(`cannot reach peer ${peerId}: ${dialErr.message}`, { cause: dialErr }) })))
      await this.fetch({ ttl: 1, query: { words: [nameOrId] } })
      const file = await this.resolveFile(nameOrId, { from })
      return { contentId: file.id, name: file.name, size: file.size }
    }
  }

  /**
   * The peers a download may ask: the file's known providers, or only `only`
   * (`-p`). Either way their addresses go to the address book first, so a
   * download resumed after a restart can dial a provider that is not a neighbour.
   */
  private async providersOf (contentId: string, only?: string[], signal?: AbortSignal): Promise<string[]> {
    const file = await (await this.discovered()).get(contentId)
    const known = file?.providers ?? []
    await this.learnProviders(known.map(p => ({ peerId: p.peerId, addresses: p.addresses, files: [], hops: 0 })))
    if (only != null) {
      return only
    }
    const candidates = [...new Set([...(this.linkHints.get(contentId) ?? []), ...known.map(p => p.peerId)])].filter(id => id !== this.peerId)
    if (this.dht == null) {
      return candidates
    }
    // Known providers and link hints first (a dial each, with a DHT lookup for one
    // whose addresses fail); the DHT's provider records only when none answers.
    await this.dht.reachAny(candidates, { signal })
    const connected = new Set(this.libp2p.getConnections().map(c => c.remotePeer.toString()))
    if (candidates.some(id => connected.has(id))) {
      return candidates
    }
    const found = (await this.dht.findProviders(contentId, { signal })).map(p => p.id.toString()).filter(id => !candidates.includes(id))
    await this.dht.reachAny(found, { signal })
    return [...found, ...candidates]
  }

  /** The discovered-file store, once loaded. */
  private async discovered (): Promise<DiscoveredFiles> {
    await this.discoveredOpening
    return this.discoveredFiles
  }

  /** Forgets providers not seen for `providerMaxAgeMs`, and files left with none. */
  private async ageOut (): Promise<void> {
    try {
      const discovered = await this.discovered()
      const dropped = await discovered.ageOut()
      if (dropped > 0) {
        this.log('aged out %d discovered files', dropped)
      }
      // Every pass (when files changed), so a daemon that crashes after a quiet spell still reopens quickly.
      await discovered.saveSnapshot()
    } catch (err: any) {
      this.log.error('ageing out discovered files failed - %e', err)
    }
  }

  /** Puts providers' addresses in the address book, so a download can dial peers that are not neighbours. */
  private async learnProviders (records: ProviderRecord[]): Promise<void> {
    for (const record of records) {
      if (record.peerId === this.peerId || record.addresses.length === 0) {
        continue
      }
      try {
        await this.libp2p.peerStore.merge(peerIdFromString(record.peerId), {
          multiaddrs: record.addresses.map(a => multiaddr(a))
        })
      } catch (err: any) {
        this.log('ignoring unusable addresses of %s - %e', record.peerId, err)
      }
    }
  }

  private onPeerConnect (peerId: PeerId): void {
    const id = peerId.toString()
    this.connectedSince.set(id, Date.now())
    this.safeDispatch('peer:connected', { peerId: id })
    this.downloadManager.pathsChanged()
  }

  private onPeerDisconnect (peerId: PeerId): void {
    const id = peerId.toString()
    this.connectedSince.delete(id)
    this.safeDispatch('peer:disconnected', { peerId: id })
  }

  /** Listeners are guarded ({@link GuardedEventEmitter}): one that throws cannot break the node's own bookkeeping. */
  private safeDispatch<K extends keyof PeerNodeEvents> (type: K, detail: PeerNodeEvents[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }

  protected override listenerFailed (type: string, err: unknown): void {
    this.log.error('a %s listener threw - %e', type, err)
  }
}

/** `-i` takes ids only: a hex prefix long enough to mean one file. */
function checkIdPrefix (id: string): void {
  if (!/^[0-9a-f]+$/i.test(id)) {
    throw new InvalidParamsError(`"${id}" is not a content id: ids are hex (0-9, a-f); give a name without -i`)
  }
  if (id.length < 4) {
    throw new InvalidParamsError(`id prefix "${id}" is too short (min 4 characters)`)
  }
  if (id.length > 64) {
    throw new InvalidParamsError(`"${id}" is longer than a content id (64 characters)`)
  }
}

function contactInfo (contact: Contact): PeerInfo {
  return { peerId: contact.peerId ?? null, addresses: [contact.address], connected: false, contact: true, connection: null, source: peerSource(contact) }
}

/** The relay server's counters, when this node is one. */
function relayStatus (libp2p: Libp2p<PeeritServices>): { relay?: NodeStatus['relay'] } {
  const relay = libp2p.services.relay
  return relay == null ? {} : { relay: { reservations: relay.reservations.size, circuits: relay.caps.openCircuits, bytesRelayed: relay.caps.bytesRelayed } }
}

function parsePeerId (input: string): string {
  try {
    return peerIdFromString(input.trim()).toString()
  } catch {
    throw new InvalidParamsError(`"${input.trim().slice(0, 60)}" is not a peer id: give the whole id (12D3KooW…) as \`peerit list peers --json\` prints it`)
  }
}

/** A disconnect target is a peer id, or a url (whose `/p2p/` id, if any, also counts). */
function parseDisconnectTarget (input: string): { address?: string, peerId?: string } {
  const trimmed = input.trim()
  if (!trimmed.includes('/') && !trimmed.includes(':')) {
    try {
      return { peerId: peerIdFromString(trimmed).toString() }
    } catch {
      throw new InvalidParamsError(`"${trimmed}" is neither a peer id nor a peer url (host:port or multiaddr)`)
    }
  }
  const peer = parsePeerUrl(trimmed)
  return { address: contactAddress(peer), peerId: peer.peerId }
}

/** A bare peer id (no `/`, no `:`) as given to `connect`, or undefined for a url. */
function barePeerId (input: string): string | undefined {
  const trimmed = input.trim()
  if (trimmed.includes('/') || trimmed.includes(':')) {
    return undefined
  }
  try {
    return peerIdFromString(trimmed).toString()
  } catch {
    return undefined
  }
}

/** The name a download by id alone is saved under: the manifest carries no name. */
function unnamed (contentId: string): string {
  return `download-${contentId.slice(0, 12)}`
}
