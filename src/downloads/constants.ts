import type { DownloadTunables } from './types.ts'

const MiB = 1024 * 1024

/** The defaults of every {@link DownloadTunables} field. */
export const DEFAULT_TUNABLES: DownloadTunables = {
  maxParallelDownloads: 3,
  maxPeersPerDownload: 8,
  // First requests ask for 8 pieces (8 MiB at the usual piece size); once a
  // provider's rate is known, about a second of it, up to 64 pieces. A new
  // yamux stream starts with a small window, so each one costs both sides CPU
  // until it has grown: a fast provider's long runs cost a third less per byte
  // (docs/benchmarks.md). A provider alone in its round is asked for this many
  // at once, up to its lanes' share of maxBytesInFlight (32 each here). A stall loses nothing: each piece is kept as it is verified, and
  // only the rest of the run goes to another provider.
  piecesPerRequest: 64,
  requestSeconds: 1,
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
  noProgressTimeoutMs: 60_000,
  // Batched so fsync costs little: a crash loses at most this much work, and
  // a lost piece is simply fetched again, never trusted unverified.
  persistIntervalMs: 250,
  persistEveryPieces: 32,
  progressIntervalMs: 250
}

/** A content id is the lowercase hex SHA-256 of a manifest. */
export const CONTENT_ID = /^[0-9a-f]{64}$/u
