/**
 * `/peerit/file/1.0`: fetch a shared file's manifest and stream its pieces
 * from a peer. A plain libp2p service any libp2p node can mount:
 *
 * ```ts
 * const node = await createLibp2p({
 *   services: { peeritFile: peeritFile({ lookup: contentId => sharedIndex.get(contentId) }) }
 * })
 * const manifest = await node.services.peeritFile.getManifest(peer, contentId)
 * for await (const piece of node.services.peeritFile.getPieces(peer, contentId, manifest, 0, pieceCount(manifest))) { … }
 * ```
 *
 * The wire format is specified in this folder's README.md.
 */
import { PeeritFileService } from './file.ts'
import type { Manifest } from './manifest.ts'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'

export { PROTOCOL } from './constants.ts'
export * from './manifest.ts'
export { ReceivedPiece } from './received-piece.ts'
export { NotFoundError, FileUnavailableError, ProtocolError, BusyError, TimeoutError, RelayLimitedError } from './errors.ts'

/** What the server needs to know about a shared file. */
export interface SharedFileSource {
  /** Absolute path of the file on disk. */
  path: string
  /** The canonical manifest bytes; their SHA-256 is the content id. */
  manifestBytes: Uint8Array
  /** Size and mtime when the file was hashed: a file that no longer matches is not served. */
  size: number
  mtimeMs: number
}

/** Options of the file service; the defaults are `defaultValues` in constants.ts. */
export interface PeeritFileInit {
  /** Looks a content id up in the shared index; undefined → not found. Only these files are ever served. */
  lookup?: (contentId: string) => Promise<SharedFileSource | undefined> | SharedFileSource | undefined
  /**
   * Inbound streams of this protocol per connection
   *
   * @default 32
   */
  maxInboundStreams?: number
  /**
   * Outbound streams of this protocol per connection
   *
   * @default 32
   */
  maxOutboundStreams?: number
  /**
   * Requests served to one peer at a time; more are answered BUSY
   *
   * @default 8
   */
  maxConcurrentPerPeer?: number
  /**
   * Requests served to all peers at a time; more are answered BUSY
   *
   * @default 64
   */
  maxConcurrentTotal?: number
  /**
   * Requests one peer may make per minute, granted in 10 s windows; more are answered BUSY
   *
   * 0 means no limit.
   *
   * @default 0
   */
  requestsPerMinute?: number
  /**
   * Body bytes per second sent to all peers together; the send loop waits, it never buffers ahead
   *
   * 0 means unlimited.
   *
   * @default 0
   */
  uploadBytesPerSecond?: number
  /**
   * Body bytes per second sent to any one peer
   *
   * 0 means unlimited.
   *
   * @default 0
   */
  uploadBytesPerSecondPerPeer?: number
  /**
   * Told when a shared file is gone or no longer what was indexed (deleted,
   * replaced, changed or shrunk) as a request finds out, so the index can drop
   * it at once instead of offering it until the next sync; must not throw.
   * Not called for errors that may pass (too many open files, I/O errors).
   */
  onUnavailable?: (contentId: string, source: SharedFileSource) => void
  /** Told of every rule a peer breaks, so the node can count strikes against it; must not throw. */
  onViolation?: (peer: PeerId, kind: FileViolation) => void
  /**
   * Most pieces in one request. The server answers BAD_REQUEST above it; the
   * client splits a longer `getPieces` range into requests of this many.
   *
   * @default 1024
   */
  maxPiecesPerRequest?: number
  /**
   * A request fails, on either side, when no byte moves for this long
   *
   * In ms.
   *
   * @default 30_000
   */
  timeoutMs?: number
  /**
   * Size of the server's positional reads
   *
   * In bytes.
   *
   * @default 65_536 (64 KiB)
   */
  readChunkSize?: number
  /**
   * Received bytes the client buffers before it pauses the stream
   *
   * In bytes.
   *
   * @default 8_388_608 (8 MiB)
   */
  highWaterMark?: number
}

/**
 * Why a peer was reported through {@link PeeritFileInit.onViolation}: over
 * its request rate, request bytes that do not decode, or a well-formed
 * request no honest client sends (unknown kind, a count of 0 or above the
 * limit, pieces past the end).
 */
export type FileViolation = 'rate-limit' | 'malformed' | 'bad-request'

/** One piece as it arrived: exactly `pieceLength(manifest, index)` bytes, not yet verified. */
export interface PieceData {
  index: number
  /** The piece's length in bytes. */
  readonly byteLength: number
  /** The piece as it arrived, in order: views of the received buffers, never copied. */
  readonly chunks: readonly Uint8Array[]
  /** The piece in one buffer: the chunks joined on first use (a copy when there are several). */
  readonly bytes: Uint8Array
}

/** Counters of what the server did since it started. */
export interface FileStats {
  /** Requests answered OK and served to the end. */
  requestsServed: number
  /** Body bytes (manifests and pieces) handed to streams; at most one chunk per request may still be queued. */
  bytesServed: number
  /** Requests answered NOT_FOUND. */
  notFound: number
  /** Requests answered UNAVAILABLE (the file changed or vanished). */
  unavailable: number
  /** Requests answered BUSY (rate-limited ones included). */
  busy: number
  /** Requests answered BUSY because their peer was over its request rate. */
  rateLimited: number
  /** Malformed requests (stream aborted) and requests answered BAD_REQUEST. */
  rejected: number
  /** Requests aborted while serving: idle timeout, reset by the peer, read error. */
  aborted: number
  /** Requests being served right now. */
  active: number
}

/** The file transfer service. */
export interface PeeritFile {
  /** Fetches a file's manifest from a peer and checks it against the content id (throws InvalidManifestError). */
  getManifest (peer: PeerId, contentId: string, options?: AbortOptions): Promise<Manifest>
  /** Streams pieces [first, first + count) from a peer, in order, each exactly pieceLength bytes; NOT verified here. */
  getPieces (peer: PeerId, contentId: string, manifest: Manifest, first: number, count: number, options?: AbortOptions): AsyncGenerator<PieceData>
  /** Live counters of the serving side. */
  readonly stats: FileStats
  /** Changes the upload rate of all peers together at once, requests being served included (0 = unlimited). */
  setUploadBytesPerSecond (bytesPerSecond: number): void
}

/** The libp2p components the service uses. */
export interface PeeritFileComponents {
  registrar: Registrar
  connectionManager: ConnectionManager
  logger: ComponentLogger
}

/** The service factory: `services: { peeritFile: peeritFile({ lookup }) }`. */
export function peeritFile (init: PeeritFileInit = {}): (components: PeeritFileComponents) => PeeritFile {
  return (components) => new PeeritFileService(components, init)
}
