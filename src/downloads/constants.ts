import type { DownloadTunables } from './types.ts'

const MiB = 1024 * 1024

/** The defaults of every {@link DownloadTunables} field. */
export const DEFAULT_TUNABLES: DownloadTunables = {
  maxParallelDownloads: 3,
  maxPeersPerDownload: 8,
  // 8 pieces (8 MiB at the usual piece size) per request: long enough that a
  // stream's setup is noise, short enough that a stalled request costs little.
  piecesPerRequest: 8,
  // Two requests per provider keep its pipe full while one stream is set up.
  maxRequestsPerPeer: 2,
  maxBytesInFlight: 64 * MiB,
  stallTimeoutMs: 20_000,
  // Duplicates cost the providers' upload: only a request that has gone
  // quiet for a while is worth one, well before it counts as stalled.
  endGameAfterMs: 3_000,
  manifestTimeoutMs: 20_000,
  maxPeerFailures: 3,
  retryBackoffMs: 500,
  maxRetryBackoffMs: 30_000,
  maxProviderRounds: 5,
  // Batched so fsync costs little: a crash loses at most this much work, and
  // a lost piece is simply fetched again, never trusted unverified.
  persistIntervalMs: 250,
  persistEveryPieces: 32,
  progressIntervalMs: 250
}

/** A content id is the lowercase hex SHA-256 of a manifest. */
export const CONTENT_ID = /^[0-9a-f]{64}$/u
