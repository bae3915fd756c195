import type { FetchQuery, FetchResult } from '../protocols/fetch/index.ts'
import type { BlockedPeer } from './block-list.ts'
import type { DhtMode } from './dht/address-scope.ts'
import type { DhtStatus } from './dht/node-dht.ts'
import type { DiscoveredFile } from './discovered-files.ts'
import type { DownloadChange, DownloadEntry, DownloadProgress, DownloadResult, DownloadSelector, ResumeOutcome } from './downloads/index.ts'
import type { PeeritServices } from './libp2p.ts'
import type { PeerLimits } from './limits.ts'
import type { ReachOptions } from './reach/libp2p-options.ts'
import type { PeerSource } from './reach/reach-service.ts'
import type { DirectReach, Reachability } from './reach/reachability.ts'
import type { SearchQuery } from './search/index.ts'
import type { SharedFile, SyncResult } from './shared-index.ts'
import type { ComponentLogger, Libp2p } from '@libp2p/interface'
import type { KadDHTInit } from '@libp2p/kad-dht'
import type { TypedEventEmitter } from 'main-event'

// The public shape of a node: what `createPeerNode` takes and what it returns.
// The implementation is in peer-node.ts.

/** Options of {@link createPeerNode}; paths should be absolute. */
export interface PeerNodeOptions {
  /** Folder for identity, database and socket. */
  stateDir: string
  /** Folder whose files this peer shares. */
  sharedDir: string
  /** Folder downloads land in. */
  downloadDir: string
  /** Multiaddrs to listen on. Default: `/ip4/127.0.0.1/tcp/0`. */
  listen?: string[]
  /** Peer urls (`host:port` or multiaddr) to keep connected to, besides persisted contacts. */
  peers?: string[]
  /** Follow changes of `sharedDir` as they happen. Default: false. */
  watch?: boolean
  /** Most connections held at once. Default: 300. Same as `limits.maxConnections`, which wins when both are set. */
  maxConnections?: number
  /** Rates, caps and ban rules (docs/security.md); each absent key keeps its default (`DEFAULT_LIMITS` in src/limits.ts). */
  limits?: Partial<PeerLimits>
  /** Serve completed downloads to other peers like shared files. Default: true. Changed later with `setShareDownloads`. */
  shareDownloads?: boolean
  /** Drop a discovered file's provider not seen for this long. Default: 24 h. */
  providerMaxAgeMs?: number
  /** Logger; default: libp2p's, enabled with `DEBUG=peerit:*`. */
  logger?: ComponentLogger
  /** Relays, NAT, mDNS, announce, public networks (docs/network.md); each absent key keeps peerConf.json's default. */
  reach?: Partial<ReachOptions>
  /** The PeerIT DHT (docs/protocols.md); its address rules use `reach.publicNetworks`. Default: on, mode `auto`. */
  dht?: PeerNodeDhtOptions
}

/** Options of the node's DHT. */
export interface PeerNodeDhtOptions {
  /** Join the DHT. Default: true. */
  enabled?: boolean
  /** `auto` (default) serves unless only reachable through a relay; `server`; `client`. */
  mode?: DhtMode
  /** Provides running at once. Default: 16. */
  provideConcurrency?: number
  /** kad-dht settings to override (timers in tests and benchmarks). */
  kad?: Partial<KadDHTInit>
}

/** A peer as `list peers` shows it. */
export interface PeerInfo {
  /** Null for a contact that has never answered and was given without `/p2p/…`. */
  peerId: string | null
  addresses: string[]
  connected: boolean
  /** Whether it is in the persisted contact list. */
  contact: boolean
  /** When the oldest open connection was opened (ms since epoch), if connected. */
  connectedSince?: number
  /** `direct` when a connection to it is not through a relay, `relayed` when every one is, null when not connected. */
  connection: 'direct' | 'relayed' | null
  /** How this node came to know the peer. */
  source: PeerSource
}

/** What `status` reports. */
export interface NodeStatus {
  peerId: string
  addresses: string[]
  connectedPeers: number
  contacts: number
  sharedFiles: number
  discoveredFiles: number
  uptimeSeconds: number
  version: string
  /** Piece bytes this node has served to other peers since it started. */
  uploadedBytes: number
  /** The DHT's mode, routing table and providing progress; absent when the node runs without a DHT. */
  dht?: DhtStatus
  /** Whether others can dial this node (docs/network.md). */
  reachability: Reachability
  /** Who can dial it without a relay: the internet (`public`, `upnp`, `announce`), its LAN, this machine, or nobody. */
  directReach: DirectReach
  /** This node's `/p2p-circuit` addresses, one per relay address it holds a slot on. */
  relayAddresses: string[]
  /** Set when `relay_server` is on: slots held by others, circuits open, bytes relayed. */
  relay?: { reservations: number, circuits: number, bytesRelayed: number }
}

/** Options of {@link PeerNode.fetch}. */
export interface NodeFetchOptions {
  ttl?: number
  timeoutMs?: number
  query?: FetchQuery
  /** With a query: dynamic querying until this many distinct files matched (`ttl` is then the largest TTL tried). */
  limit?: number
  signal?: AbortSignal
}

/** Options of {@link PeerNode.download}. */
export interface NodeDownloadOptions {
  /** Only these peers are asked, for this request only: full peer ids, or unique prefixes of known ones. */
  from?: string[]
  /** The target is a content id or id prefix only, never a name. */
  byId?: boolean
  signal?: AbortSignal
  onProgress?: (progress: DownloadProgress) => void
}

/** A finished download; `alreadyShared` when the file was in the shared index and nothing was fetched. */
export type NodeDownloadResult = DownloadResult & { alreadyShared?: boolean }

/** What {@link PeerNode.link} returns (and `peerit link --json` prints). */
export interface FileLink {
  link: string
  contentId: string
  name: string
  size: number
}

/** The events a {@link PeerNode} emits. */
export interface PeerNodeEvents {
  'peer:connected': CustomEvent<{ peerId: string }>
  'peer:disconnected': CustomEvent<{ peerId: string }>
  'file:discovered': CustomEvent<{ fetchId: string, files: number, peersReached: number }>
  'download:progress': CustomEvent<DownloadProgress>
  /** A download's status changed (queued → active → paused → …). */
  'download:status': CustomEvent<DownloadEntry>
  /** A download completed: where it was saved and which peers supplied it. */
  'download:finished': CustomEvent<DownloadResult>
  /** A sentence about reachability for the owner's log: a relay slot taken or refused, no UPnP router, a LAN peer found. */
  'reach:notice': CustomEvent<{ message: string }>
}

/** The node's total transfer rates in bytes per second; 0 = unlimited. */
export interface TransferLimits {
  uploadBytesPerSecond: number
  downloadBytesPerSecond: number
}

/** What {@link PeerNode.block} did. */
export interface BlockResult {
  peerId: string
  blocked: true
  /** Contacts with that peer id, now removed. */
  contactsRemoved: number
  /** Whether a connection to it was open (and is now closed). */
  disconnected: boolean
}

/**
 * A PeerIT peer: libp2p with the fetch and file protocols, the shared index,
 * the discovered-file store, contacts and downloads.
 */
export interface PeerNode extends TypedEventEmitter<PeerNodeEvents> {
  readonly peerId: string
  /** The underlying libp2p node, for advanced embedding. */
  readonly libp2p: Libp2p<PeeritServices>
  start (): Promise<void>
  stop (): Promise<void>
  status (): NodeStatus
  /** Dials a peer url, or a bare peer id found through the DHT, and keeps it as a contact. */
  connect (url: string, options?: { signal?: AbortSignal }): Promise<{ peerId: string, address: string }>
  /** Hangs up on a peer (url or peer id) and forgets it as a contact. */
  disconnect (urlOrPeerId: string): Promise<{ peerIds: string[], contactsRemoved: number }>
  /** Blocks a peer id, persisted: it is hung up on, dropped as a contact, and refused inbound and outbound until unblocked. */
  block (peerId: string): Promise<BlockResult>
  /** Lifts a block; an UnknownPeerError when the peer was not blocked. */
  unblock (peerId: string): Promise<{ peerId: string, blocked: false }>
  /** The blocked peers, oldest first. */
  blocked (): BlockedPeer[]
  peers (): PeerInfo[]
  sync (options?: { signal?: AbortSignal }): Promise<SyncResult>
  share (path: string): Promise<SharedFile>
  /** The files this node serves: its shared folder's, and its completed downloads unless `shareDownloads` is off. */
  sharedFiles (): SharedFile[]
  /** Starts or stops serving completed downloads, at once. */
  setShareDownloads (share: boolean): void
  fetch (options?: NodeFetchOptions): Promise<FetchResult>
  /** Searches discovered files; a string is the words to look for. */
  search (query: SearchQuery | string, options?: { limit?: number }): Promise<DiscoveredFile[]>
  files (options?: { limit?: number, offset?: number }): Promise<DiscoveredFile[]>
  /** Resolves a name, id or unique id prefix to one discovered file. */
  resolveFile (nameOrId: string, options?: { from?: string[], byId?: boolean }): Promise<DiscoveredFile>
  /** Downloads a file (verified, multi-source, resumable); resolves with its final path. */
  download (nameOrId: string, options?: NodeDownloadOptions): Promise<string>
  /** Like {@link download}, resolving with the whole result: name as saved, size, the peers that supplied pieces. */
  downloadFile (nameOrId: string, options?: NodeDownloadOptions): Promise<NodeDownloadResult>
  /** Queues a download that runs in the background; answers at once with its status. */
  startDownload (nameOrId: string, options?: { from?: string[], byId?: boolean }): Promise<DownloadChange>
  /** Every download the node knows, newest first: running, paused, interrupted and failed ones, then the last 1,000 completed or cancelled. */
  downloads (): Promise<DownloadEntry[]>
  /** Drops the completed, cancelled and failed downloads from the list (a failed one's part file too); returns the rest. */
  clearDownloads (): Promise<DownloadEntry[]>
  /** Pauses downloads (names or content-id prefixes, or all): no more bytes are asked for, the part file and state stay. */
  pause (selector: DownloadSelector): Promise<DownloadChange[]>
  /** Resumes paused downloads; `all` also resumes interrupted and failed ones. */
  resume (selector: DownloadSelector): Promise<DownloadChange[]>
  /** Cancels downloads: the transfer stops, the part file and state are deleted. */
  cancel (selector: DownloadSelector): Promise<DownloadChange[]>
  /** The total upload and download rates. */
  limits (): TransferLimits
  /** Changes the total rates at once (undefined = unchanged, 0 = unlimited); returns them. */
  setLimits (limits: Partial<TransferLimits>): TransferLimits
  /** A link to a shared or discovered file (name, id or unique id prefix), with a few current providers as hints. */
  link (nameOrId: string): Promise<FileLink>
  /** Resumes every stored download that is not paused and waits for them (what `start()` does in the background). */
  resumeDownloads (options?: { signal?: AbortSignal, onProgress?: (progress: DownloadProgress) => void }): Promise<ResumeOutcome>
}
