import type { PeeritFileInit } from './index.ts'

/** The protocol id of PeerIT file transfer. */
export const PROTOCOL = '/peerit/file/1.0'

/**
 * Inbound streams of this protocol per connection. Above the per-peer limit on
 * purpose: a peer over its share gets a polite BUSY instead of a stream reset.
 */
export const MAX_INBOUND_STREAMS = 32
/** Outbound streams of this protocol per connection. */
export const MAX_OUTBOUND_STREAMS = 32
/** Requests served to one peer at a time; more are answered BUSY. */
export const MAX_CONCURRENT_PER_PEER = 8
/** Requests served to all peers at a time; more are answered BUSY. */
export const MAX_CONCURRENT_TOTAL = 64
/**
 * Requests one peer may make per minute; more are answered BUSY. 0 means no
 * limit: off for a bare service, a PeerIT node sets its own (src/limits.ts).
 */
export const REQUESTS_PER_MINUTE = 0
/** Upload bytes per second, all requests together and per peer; 0 means unlimited. */
export const UPLOAD_BYTES_PER_SECOND = 0
/** Most pieces one request may ask for (1 GiB of 1 MiB pieces); more are answered BAD_REQUEST. */
export const MAX_PIECES_PER_REQUEST = 1024
/** A request (either side) fails when no byte moves for this long. */
export const TIMEOUT_MS = 30_000
/** A request message is 48 bytes at most; 64 leaves room for unknown fields. */
export const MAX_REQUEST_LENGTH = 64
/** A response header is 2 bytes today; 64 leaves room for unknown fields. */
export const MAX_RESPONSE_HEADER_LENGTH = 64
/**
 * The server reads a file in chunks of this size; at most three are in memory
 * per request. 64 KiB, not 256: a daemon serving 32 peers peaked ~60 MiB lower
 * at the same throughput (docs/benchmarks.md "Memory under load"), as fewer
 * bytes wait per request and glibc reuses freed chunks of this size instead of
 * keeping larger ones resident.
 */
export const READ_CHUNK_SIZE = 64 * 1024
/**
 * The client pauses a stream once this many received bytes wait for the
 * consumer, so a slow disk on the receiving side bounds memory instead of
 * growing it.
 */
export const HIGH_WATER_MARK = 8 * 1024 * 1024
/** The length of a content id on the wire: a raw SHA-256 digest. */
export const CONTENT_ID_LENGTH = 32

/** The default of every option of {@link PeeritFileInit} that has one. */
export const defaultValues = {
  maxInboundStreams: MAX_INBOUND_STREAMS,
  maxOutboundStreams: MAX_OUTBOUND_STREAMS,
  maxConcurrentPerPeer: MAX_CONCURRENT_PER_PEER,
  maxConcurrentTotal: MAX_CONCURRENT_TOTAL,
  requestsPerMinute: REQUESTS_PER_MINUTE,
  uploadBytesPerSecond: UPLOAD_BYTES_PER_SECOND,
  uploadBytesPerSecondPerPeer: UPLOAD_BYTES_PER_SECOND,
  maxPiecesPerRequest: MAX_PIECES_PER_REQUEST,
  timeoutMs: TIMEOUT_MS,
  readChunkSize: READ_CHUNK_SIZE,
  highWaterMark: HIGH_WATER_MARK
} satisfies Required<Omit<PeeritFileInit, 'lookup' | 'onViolation' | 'onUnavailable'>>
