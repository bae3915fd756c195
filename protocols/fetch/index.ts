/**
 * `/peerit/fetch/1.1` (and 1.0): flood discovery. A fetch floods through the
 * network with a TTL; every peer it reaches answers with its provider record,
 * and the answers travel back along the path the request came. Version 1.1
 * adds query routing tables (a keyword query skips, on its last two hops,
 * the neighbours that cannot match) and dynamic querying (see README.md).
 *
 * Mount it in any libp2p node:
 * `createLibp2p({ services: { peeritFetch: peeritFetch({ localFiles }) } })`.
 */
import { PeeritFetchService } from './fetch.ts'
import type { ComponentLogger, Libp2pEvents, PeerId } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { TypedEventTarget } from 'main-event'

export { PROTOCOL, PROTOCOL_1_1, PROTOCOLS } from './constants.ts'
export * from './errors.ts'
export { sanitizeName } from './records.ts'
export { SeenCache } from './seen-cache.ts'
export type { SeenCacheInit } from './seen-cache.ts'

/** A search pushed into the network. Both parts optional; no query means every shared file. */
export interface FetchQuery {
  /** Every word must match the file name (the responder decides how: case- and accent-insensitive). */
  words?: string[]
  /** A kind (`music`, `video`, `document`, `image`, `archive`, `other`) or an extension (`pdf`). */
  type?: string
}

/** One shared file as a provider announces it. */
export interface SharedFileEntry {
  /** Content id: 64 lowercase hex characters. */
  id: string
  name: string
  /** Bytes. */
  size: number
  /** Kind or extension, as the provider classified it. */
  type: string
}

/** What one provider answered (at the originator: all its frames merged). */
export interface ProviderRecord {
  peerId: string
  /** Multiaddr strings the provider listens on. */
  addresses: string[]
  files: SharedFileEntry[]
  /** The provider's distance from the originator (1 = a neighbour). */
  hops: number
}

/** Options of {@link PeeritFetch.fetch}. */
export interface FetchOptions {
  /** Default 7; larger than 10 is clamped to 10; 0 or less throws {@link InvalidTtlError}. */
  ttl?: number
  query?: FetchQuery
  /** Overall deadline; default (ttl + 1) × hopTimeoutMs. The fetch resolves with what arrived by then. */
  timeoutMs?: number
  /** Aborting it rejects the fetch with the signal's reason. */
  signal?: AbortSignal
  /** Called with every record frame as it arrives (before merging). */
  onRecord?: (record: ProviderRecord) => void
  /**
   * With a query: dynamic querying. Rounds of growing TTL and width (see
   * dynamic-query.ts) until this many distinct files matched, `ttl` is
   * reached on every link, or the horizon stops growing; `ttl` is then the
   * largest TTL a round may use, and all the rounds together take no longer
   * than one fetch with that TTL would (`timeoutMs`, when given, bounds them
   * instead). Without a query it is ignored (a plain fetch learns everything).
   */
  limit?: number
}

/** What a fetch found. */
export interface FetchResult {
  /** The 16-byte fetch id, hex. */
  fetchId: string
  /** One per provider (frames merged, files deduplicated by id). */
  records: ProviderRecord[]
  /** Distinct remote peers that answered. */
  peersReached: number
  durationMs: number
  /** Floods sent: 1 for a plain fetch, the number of rounds for dynamic querying. */
  rounds: number
}

/** Counters since start, for monitoring and the benchmark. */
export interface FetchStats {
  /** Fetches this peer started. */
  fetchesStarted: number
  /** Requests this peer sent for its own fetches. */
  originated: number
  /** Requests that reached this peer (duplicates included). */
  requestsReceived: number
  /** Requests answered "duplicate". */
  duplicates: number
  /** Requests this peer passed on to its neighbours for others. */
  forwarded: number
  /** Record frames read from neighbours. */
  recordsReceived: number
  /** Neighbours' record frames passed up towards an originator. */
  recordsRelayed: number
  /** Streams aborted and entries dropped because of bad input or exceeded limits. */
  rejected: number
  /** Neighbour streams cut by a deadline. */
  timeouts: number
  /** Frame bytes (prefix included) read on fetch streams. */
  bytesIn: number
  /** Frame bytes (prefix included) written on fetch streams. */
  bytesOut: number
  /** Inbound streams aborted unread because their peer was over its request rate. */
  rateLimited: number
  /** Known requests forwarded again because they came back with more TTL than first seen (TTL shadowing). */
  reforwarded: number
  /** Requests on their last two hops not sent because the neighbour's own or reach table rules out a match. */
  filtered: number
  /** Routing tables sent to neighbours. */
  tablesSent: number
  /** Routing tables neighbours sent that were kept. */
  tablesReceived: number
  /** Ids held in the seen-cache right now (bounded by `maxSeenEntries`). */
  seenCacheSize: number
  /** Neighbours whose reach table this peer holds right now (requests to them can be left out two hops early). */
  reachTables: number
}

/**
 * Why a peer was reported through {@link PeeritFetchInit.onViolation}:
 * over its request rate or its routing table allowance, a frame that broke
 * the protocol (undecodable, oversized, truncated, bad TTL, a second request
 * frame, a routing table of the wrong size), or more records than a fetch
 * may carry.
 */
export type FetchViolation = 'rate-limit' | 'malformed' | 'too-many-records'

/** The service mounted as `peeritFetch`. */
export interface PeeritFetch {
  /** Floods a fetch through the connected neighbours and collects the answers. */
  fetch (options?: FetchOptions): Promise<FetchResult>
  /** A snapshot of the counters. */
  readonly stats: FetchStats
  /** The shared files changed: the routing table is rebuilt and sent to the neighbours (debounced). */
  sharesChanged (): void
}

/** Options of {@link peeritFetch}; the defaults are `defaultValues` in constants.ts. */
export interface PeeritFetchInit {
  /** The local answer: this peer's shared files that match `query` (all when no query). Called once per non-duplicate request. */
  localFiles?: (query: FetchQuery | undefined) => Promise<SharedFileEntry[]> | SharedFileEntry[]
  /** The names the routing table (1.1) is built from: every shared file's. Default: the names `localFiles` gives for no query. */
  sharedNames?: () => Promise<string[]> | string[]
  /** Sees every remote record frame that passes through this peer as a relay (the node may use it to learn addresses). */
  onRelayedRecord?: (record: ProviderRecord) => void
  /** Fetch versions spoken, preferred first; `[PROTOCOL]` makes a 1.0-only peer. Default both (`PROTOCOLS`). */
  protocols?: string[]
  /**
   * Quiet time after a share change before the routing table is rebuilt.
   *
   * In ms.
   *
   * @default 1000
   */
  tableDebounceMs?: number
  /**
   * Least time between two routing table broadcasts.
   *
   * In ms.
   *
   * @default 5000
   */
  tableMinIntervalMs?: number
  /**
   * Routing tables one neighbour may send per minute; more are a `rate-limit` violation.
   *
   * @default 30
   */
  tableUpdatesPerMinute?: number
  /**
   * TTL of a fetch started without one.
   *
   * @default 7
   */
  defaultTtl?: number
  /**
   * Cap on TTL + hops; larger TTLs are clamped.
   *
   * @default 10
   */
  maxTtl?: number
  /**
   * Seen-cache entry lifetime.
   *
   * In ms.
   *
   * @default 30_000
   */
  seenTtlMs?: number
  /**
   * Seen-cache size bound.
   *
   * @default 10_000
   */
  maxSeenEntries?: number
  /**
   * Time budget per hop of TTL.
   *
   * In ms.
   *
   * @default 2000
   */
  hopTimeoutMs?: number
  /**
   * Largest frame body.
   *
   * In bytes.
   *
   * @default 65_536 (64 KiB)
   */
  maxMessageBytes?: number
  /**
   * Files per record frame.
   *
   * @default 128
   */
  maxFilesPerRecord?: number
  /**
   * Record frames read from one neighbour per fetch.
   *
   * @default 4096
   */
  maxRecordsPerStream?: number
  /**
   * Record frames relayed (or kept, as originator) per fetch.
   *
   * @default 16_384
   */
  maxRecordsPerFetch?: number
  /**
   * Files the originator keeps per fetch.
   *
   * @default 100_000
   */
  maxFilesPerFetch?: number
  /**
   * Registrar limit per connection.
   *
   * @default 32
   */
  maxInboundStreams?: number
  /**
   * Registrar limit per connection.
   *
   * @default 64
   */
  maxOutboundStreams?: number
  /**
   * Inbound fetch streams at once from one peer.
   *
   * @default 8
   */
  maxConcurrentPerPeer?: number
  /**
   * Inbound fetch streams at once from all peers.
   *
   * @default 256
   */
  maxConcurrentTotal?: number
  /**
   * Inbound requests one peer may send per minute, granted in 10 s windows;
   * over it the stream is aborted unread. 0 means no limit.
   *
   * @default 0
   */
  requestsPerMinute?: number
  /** Told of every rule a peer breaks, so the node can count strikes against it; must not throw. */
  onViolation?: (peer: PeerId, kind: FetchViolation) => void
}

/** The libp2p components the service uses. */
export interface PeeritFetchComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  addressManager: AddressManager
  logger: ComponentLogger
  events: TypedEventTarget<Libp2pEvents>
}

/** The libp2p service factory: `services: { peeritFetch: peeritFetch({ localFiles }) }`. */
export function peeritFetch (init: PeeritFetchInit = {}): (components: PeeritFetchComponents) => PeeritFetch {
  return (components) => new PeeritFetchService(components, init)
}
