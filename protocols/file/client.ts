import { AbortError, InvalidParametersError } from '@libp2p/interface'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { CONTENT_ID_LENGTH, MAX_RESPONSE_HEADER_LENGTH, PROTOCOL } from './constants.ts'
import { BusyError, FileUnavailableError, NotFoundError, ProtocolError, RelayLimitedError } from './errors.ts'
import { decodeManifestFor, MAX_MANIFEST_LENGTH, pieceCount, pieceLength } from './manifest.ts'
import { decodeResponse, encodeRequest, RequestKind, ResponseStatus } from './messages.ts'
import { ReceivedPiece } from './received-piece.ts'
import { StreamReader } from './stream-reader.ts'
import type { PieceData } from './index.ts'
import type { Manifest } from './manifest.ts'
import type { FileRequest } from './messages.ts'
import type { AbortOptions, Logger, PeerId, Stream } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** What the requesting side needs. */
export interface FileClientInit {
  connectionManager: ConnectionManager
  log: Logger
  timeoutMs: number
  highWaterMark: number
  maxPiecesPerRequest: number
}

const CONTENT_ID_PATTERN = /^[0-9a-f]{64}$/

/** The requesting side of `/peerit/file/1.0`. */
export class FileClient {
  private readonly init: FileClientInit

  constructor (init: FileClientInit) {
    this.init = init
  }

  /** Fetches a manifest and checks it against the content id. */
  async getManifest (peer: PeerId, contentId: string, options: AbortOptions = {}): Promise<Manifest> {
    const request = { kind: RequestKind.MANIFEST, contentId: contentIdBytes(contentId), first: 0, count: 0 }
    const { stream, reader } = await this.request(peer, request, options)
    try {
      const manifestBytes = await reader.readLengthPrefixed(MAX_MANIFEST_LENGTH)
      await reader.readEnd()
      return decodeManifestFor(contentId, manifestBytes)
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      reader.dispose()
    }
  }

  /** Streams pieces [first, first + count), split into requests the server's default limit accepts. */
  async * getPieces (peer: PeerId, contentId: string, manifest: Manifest, first: number, count: number, options: AbortOptions = {}): AsyncGenerator<PieceData> {
    const end = first + count
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || end > pieceCount(manifest)) {
      throw new InvalidParametersError(`pieces [${first}, ${end}) are outside the file's ${pieceCount(manifest)} pieces`)
    }
    const id = contentIdBytes(contentId)
    for (let start = first; start < end; start += this.init.maxPiecesPerRequest) {
      const request = { kind: RequestKind.PIECES, contentId: id, first: start, count: Math.min(this.init.maxPiecesPerRequest, end - start) }
      yield * this.requestPieces(peer, manifest, request, options)
    }
  }

  private async * requestPieces (peer: PeerId, manifest: Manifest, request: FileRequest, options: AbortOptions): AsyncGenerator<PieceData> {
    const { stream, reader } = await this.request(peer, request, options)
    let complete = false
    try {
      const last = request.first + request.count - 1
      for (let index = request.first; index <= last; index++) {
        const piece = new ReceivedPiece(index, await reader.readChunks(pieceLength(manifest, index)))
        if (index === last) {
          // The end is checked before the last piece is handed over: a consumer
          // that has all it asked for may stop reading, and would never see the
          // stray byte after the body that makes this response a ProtocolError.
          await reader.readEnd()
          complete = true
        }
        yield piece
      }
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      reader.dispose()
      // The consumer left the loop early: free the server's slot at once.
      if (!complete) {
        stream.abort(new AbortError('the consumer stopped reading'))
      }
    }
  }

  /** Opens a stream, sends the request, reads the response header and throws unless it says OK. */
  private async request (peer: PeerId, request: FileRequest, options: AbortOptions): Promise<{ stream: Stream, reader: StreamReader }> {
    const { connectionManager, timeoutMs, highWaterMark, log } = this.init
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = options.signal == null ? timeout : AbortSignal.any([options.signal, timeout])
    // libp2p prefers a direct or unlimited connection and dials for one; if all it finds is a
    // limited relay, a file cannot cross it: say so at once instead of failing mid-transfer.
    const connection = await connectionManager.openConnection(peer, { signal })
    if (connection.limits != null) {
      throw new RelayLimitedError(peer.toString(), connection.limits)
    }
    const stream = await connection.newStream(PROTOCOL, { signal })
    // Listen before the request leaves, so no response byte waits in libp2p's buffer.
    const reader = new StreamReader(stream, { highWaterMark, timeoutMs, signal: options.signal })
    try {
      stream.send(encodeRequest(request))
      await stream.close({ signal })
      const { status } = decodeResponse(await reader.readLengthPrefixed(MAX_RESPONSE_HEADER_LENGTH))
      log.trace('%p answered %s for kind %d', peer, status, request.kind)
      throwUnlessOk(status)
      return { stream, reader }
    } catch (err) {
      reader.dispose()
      stream.abort(err as Error)
      throw err
    }
  }
}

function throwUnlessOk (status: ResponseStatus): void {
  switch (status) {
    case ResponseStatus.OK: return
    case ResponseStatus.NOT_FOUND: throw new NotFoundError('the peer does not share this file')
    case ResponseStatus.BUSY: throw new BusyError()
    case ResponseStatus.UNAVAILABLE: throw new FileUnavailableError()
    case ResponseStatus.BAD_REQUEST: throw new ProtocolError('the peer answered BAD_REQUEST')
  }
}

/** A content id (64 lowercase hex digits) as its 32 raw bytes. */
function contentIdBytes (contentId: string): Uint8Array {
  if (!CONTENT_ID_PATTERN.test(contentId)) {
    throw new InvalidParametersError(`content id must be ${CONTENT_ID_LENGTH * 2} lowercase hex digits`)
  }
  return uint8ArrayFromString(contentId, 'base16')
}
