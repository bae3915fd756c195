import type { PeeritFetchInit } from './index.ts'

/** The protocol id of the first fetch version (still spoken: old peers keep working). */
export const PROTOCOL = '/peerit/fetch/1.0'
/** The fetch version with query routing tables; peers offer it first and fall back to 1.0. */
export const PROTOCOL_1_1 = '/peerit/fetch/1.1'
/** The versions a peer speaks by default, preferred first. */
export const PROTOCOLS = [PROTOCOL_1_1, PROTOCOL] as const

/** Quiet time after a share change before the routing table is rebuilt and sent. */
export const TABLE_DEBOUNCE_MS = 1_000
/** Least time between two routing table broadcasts, however often the share changes. */
export const TABLE_MIN_INTERVAL_MS = 5_000
/**
 * Routing tables one neighbour may send per minute (granted in 10 s windows);
 * an honest peer sends at most 12 a minute plus one per connection.
 */
export const TABLE_UPDATES_PER_MINUTE = 30

/**
 * Hops at the end of a keyword request's path that 1.1's routing tables may
 * leave out: the last (own tables) and the one before (reach tables).
 */
export const PRUNED_HOPS = 2

/** TTL a fetch starts with when the caller gives none (Gnutella 0.6 uses 7 for the same job). */
export const DEFAULT_TTL = 7
/** Hard cap on TTL + hops: larger TTLs are clamped, never refused (Gnutella 0.6's limit is 10 too). */
export const MAX_TTL = 10
/** How long a fetch id stays in the seen-cache (30 s, as the original system did). */
export const SEEN_TTL_MS = 30_000
/** The seen-cache never holds more ids than this; the oldest go first. */
export const MAX_SEEN_ENTRIES = 10_000
/**
 * Time budget of one hop. A peer that receives TTL t answers within t × this;
 * it stops waiting on its neighbours half a hop before that, so their last
 * records still have time to reach it and be passed up.
 */
export const HOP_TIMEOUT_MS = 2_000

/** Largest frame body (the bytes after the varint length prefix) a peer sends or accepts. */
export const MAX_MESSAGE_BYTES = 64 * 1024
/** Files in one provider record frame; more files are split over several frames. */
export const MAX_FILES_PER_RECORD = 128
/** Record frames a peer reads from one neighbour's stream in one fetch. */
export const MAX_RECORDS_PER_STREAM = 4_096
/** Record frames a peer passes on (or, as originator, keeps) in one fetch, all neighbours together. */
export const MAX_RECORDS_PER_FETCH = 16_384
/** Files the originator keeps from one fetch; past this it stops reading answers. */
export const MAX_FILES_PER_FETCH = 100_000

/** Inbound fetch streams at once on one connection (enforced by the registrar). */
export const MAX_INBOUND_STREAMS = 32
/** Outbound fetch streams at once on one connection (enforced by the registrar). */
export const MAX_OUTBOUND_STREAMS = 64
/** Inbound fetch streams at once from one peer, over all its connections. */
export const MAX_CONCURRENT_PER_PEER = 8
/** Inbound fetch streams at once from all peers together: a bound on work in flight whatever the number of peers. */
export const MAX_CONCURRENT_TOTAL = 256
/**
 * Inbound requests one peer may send per minute; 0 means no limit. Off by
 * default for a bare service (tests and embedders choose); a PeerIT node sets
 * its own (src/limits.ts).
 */
export const REQUESTS_PER_MINUTE = 0

/** Field bounds fixed by the wire format (see README.md): not configurable, peers rely on them. */
export const WIRE_LIMITS = {
  fetchIdBytes: 16,
  fileIdBytes: 32,
  maxPeerIdBytes: 128,
  maxAddresses: 16,
  maxAddressBytes: 256,
  maxNameBytes: 255,
  maxTypeBytes: 32,
  maxQueryWords: 16,
  maxWordBytes: 64,
  maxHops: 255
} as const

/** The default of every option of {@link PeeritFetchInit} that has one. */
export const defaultValues = {
  defaultTtl: DEFAULT_TTL,
  maxTtl: MAX_TTL,
  seenTtlMs: SEEN_TTL_MS,
  maxSeenEntries: MAX_SEEN_ENTRIES,
  hopTimeoutMs: HOP_TIMEOUT_MS,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  maxFilesPerRecord: MAX_FILES_PER_RECORD,
  maxRecordsPerStream: MAX_RECORDS_PER_STREAM,
  maxRecordsPerFetch: MAX_RECORDS_PER_FETCH,
  maxFilesPerFetch: MAX_FILES_PER_FETCH,
  maxInboundStreams: MAX_INBOUND_STREAMS,
  maxOutboundStreams: MAX_OUTBOUND_STREAMS,
  maxConcurrentPerPeer: MAX_CONCURRENT_PER_PEER,
  maxConcurrentTotal: MAX_CONCURRENT_TOTAL,
  requestsPerMinute: REQUESTS_PER_MINUTE,
  tableDebounceMs: TABLE_DEBOUNCE_MS,
  tableMinIntervalMs: TABLE_MIN_INTERVAL_MS,
  tableUpdatesPerMinute: TABLE_UPDATES_PER_MINUTE
} satisfies Required<Omit<PeeritFetchInit, 'localFiles' | 'sharedNames' | 'onRelayedRecord' | 'onViolation' | 'protocols'>>
