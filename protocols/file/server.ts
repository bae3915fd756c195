import { open } from 'node:fs/promises'
import { lpStream } from '@libp2p/utils'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { Admission } from '../shared/admission.ts'
import { sendBufferBelow } from '../shared/back-pressure.ts'
import { MAX_REQUEST_LENGTH } from './constants.ts'
import { IdleTimeout } from './idle-timeout.ts'
import { decodeManifest, FileChangedError, pieceCount } from './manifest.ts'
import { decodeRequest, encodeLength, encodeResponse, RequestKind, ResponseStatus } from './messages.ts'
import { burstBytes, throttledChunkSize, UploadRate, waitForRates } from './upload-rate.ts'
import type { FileStats, FileViolation, PeeritFileInit, SharedFileSource } from './index.ts'
import type { Manifest } from './manifest.ts'
import type { FileRequest } from './messages.ts'
import type { Connection, Logger, PeerId, Stream } from '@libp2p/interface'
import type { FileHandle } from 'node:fs/promises'

/** What the serving side needs; every limit already resolved to a number. */
export interface FileServerInit {
  lookup: NonNullable<PeeritFileInit['lookup']>
  log: Logger
  maxConcurrentPerPeer: number
  maxConcurrentTotal: number
  maxPiecesPerRequest: number
  timeoutMs: number
  readChunkSize: number
  /** 0 = no limit. */
  requestsPerMinute: number
  /** Bytes per second, all peers together; 0 = unlimited. */
  uploadBytesPerSecond: number
  /** Bytes per second to one peer; 0 = unlimited. */
  uploadBytesPerSecondPerPeer: number
  onViolation?: PeeritFileInit['onViolation']
  onUnavailable?: PeeritFileInit['onUnavailable']
}

/** The chunk size of positional reads under the server's upload rates. */
function readChunkSize (init: FileServerInit): number {
  return throttledChunkSize(init.readChunkSize, [init.uploadBytesPerSecond, init.uploadBytesPerSecondPerPeer])
}

/** Errors that mean the request bytes were malformed (ours, and @libp2p/utils' framing errors). */
const MALFORMED = new Set(['ProtocolError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'UnexpectedEOFError'])

/** Which counter each refusal adds to. */
const REFUSAL_COUNTERS = {
  [ResponseStatus.NOT_FOUND]: 'notFound',
  [ResponseStatus.BUSY]: 'busy',
  [ResponseStatus.UNAVAILABLE]: 'unavailable',
  [ResponseStatus.BAD_REQUEST]: 'rejected'
} as const

/**
 * The serving side of `/peerit/file/1.0`. Answers only for content ids its
 * `lookup` knows, streams pieces from disk with positional reads and
 * back-pressure, and aborts a request whose reader stalls.
 */
export class FileServer {
  readonly stats: FileStats = { requestsServed: 0, bytesServed: 0, notFound: 0, unavailable: 0, busy: 0, rateLimited: 0, rejected: 0, aborted: 0, active: 0 }
  private readonly init: FileServerInit
  private readonly streams = new Set<Stream>()
  private readonly admission: Admission<FileViolation>
  /** The upload rate of all peers together; undefined when unlimited. */
  private uploadTotal?: UploadRate
  /** Per-peer upload rates of the peers being served, kept after their last request until rested, so a new request regains no allowance. */
  private readonly uploadPerPeer = new Map<string, UploadRate>()
  /** Bytes per chunk: a quarter second of the slowest upload rate, or readChunkSize when unlimited. */
  private chunkSize: number

  constructor (init: FileServerInit) {
    this.init = init
    this.admission = new Admission(init)
    this.chunkSize = readChunkSize(init)
    this.setUploadBytesPerSecond(init.uploadBytesPerSecond)
  }

  /** Changes the total upload rate at once, for requests being served too (0 = unlimited). */
  setUploadBytesPerSecond (bytesPerSecond: number): void {
    this.init.uploadBytesPerSecond = bytesPerSecond
    this.chunkSize = readChunkSize(this.init)
    this.uploadTotal = bytesPerSecond > 0 ? new UploadRate(bytesPerSecond, burstBytes(bytesPerSecond, this.chunkSize)) : undefined
  }

  /** The libp2p stream handler; never throws. */
  readonly handleStream = async (stream: Stream, connection: Connection): Promise<void> => {
    // Scoped to the stream, so one connection's story reads as one thread in DEBUG output.
    const log = stream.log.newScope('peerit-file')
    const idle = new IdleTimeout(this.init.timeoutMs)
    const onIdle = (): void => { stream.abort(idle.signal.reason) }
    idle.signal.addEventListener('abort', onIdle)
    this.streams.add(stream)
    try {
      await this.serve(stream, connection.remotePeer, idle, log)
    } catch (err) {
      this.stats.aborted++
      log.error('request from %p failed - %e', connection.remotePeer, err)
      stream.abort(err as Error)
    } finally {
      idle.clear()
      idle.signal.removeEventListener('abort', onIdle)
      this.streams.delete(stream)
    }
  }

  /** Aborts every request in flight (the service is stopping). */
  abortAll (reason: Error): void {
    for (const stream of this.streams) {
      stream.abort(reason)
    }
  }

  private async serve (stream: Stream, peer: PeerId, idle: IdleTimeout, log: Logger): Promise<void> {
    let request: FileRequest
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_LENGTH })
      const requestBytes = await lp.read({ signal: idle.signal })
      lp.unwrap()
      request = decodeRequest(requestBytes.subarray())
    } catch (err) {
      if (!MALFORMED.has((err as Error).name)) {
        throw err
      }
      // Bytes that do not even parse get no answer: the stream is aborted.
      this.stats.rejected++
      log('malformed request from %p - %e', peer, err)
      this.report(peer, 'malformed')
      stream.abort(err as Error)
      return
    }
    const peerKey = peer.toString()
    if (!this.admission.withinRate(peerKey)) {
      this.stats.rateLimited++
      this.report(peer, 'rate-limit')
      await this.refuse(stream, ResponseStatus.BUSY, idle)
      return
    }
    if (!this.admission.enter(peerKey)) {
      await this.refuse(stream, ResponseStatus.BUSY, idle)
      return
    }
    this.stats.active = this.admission.active
    if (this.init.uploadBytesPerSecondPerPeer > 0 && !this.uploadPerPeer.has(peerKey)) {
      this.forgetRestedRates()
      this.uploadPerPeer.set(peerKey, new UploadRate(this.init.uploadBytesPerSecondPerPeer, burstBytes(this.init.uploadBytesPerSecondPerPeer, this.chunkSize)))
    }
    try {
      await this.answer(stream, peer, request, idle, log)
    } finally {
      if (this.admission.leave(peerKey) === 0 && this.uploadPerPeer.get(peerKey)?.rested === true) {
        this.uploadPerPeer.delete(peerKey)
      }
      this.stats.active = this.admission.active
    }
  }

  private async answer (stream: Stream, peer: PeerId, request: FileRequest, idle: IdleTimeout, log: Logger): Promise<void> {
    const isPieces = request.kind === RequestKind.PIECES
    if ((request.kind !== RequestKind.MANIFEST && !isPieces) ||
        (isPieces && (request.count < 1 || request.count > this.init.maxPiecesPerRequest))) {
      this.report(peer, 'bad-request')
      await this.refuse(stream, ResponseStatus.BAD_REQUEST, idle)
      return
    }
    const contentId = uint8ArrayToString(request.contentId, 'base16')
    const source = await this.find(contentId)
    if (source == null) {
      await this.refuse(stream, ResponseStatus.NOT_FOUND, idle)
      return
    }
    let manifest: Manifest
    try {
      manifest = decodeManifest(source.manifestBytes)
    } catch (err) {
      log.error('the shared index holds a bad manifest for %s - %e', contentId, err)
      await this.refuse(stream, ResponseStatus.UNAVAILABLE, idle)
      return
    }
    if (isPieces && request.first + request.count > pieceCount(manifest)) {
      this.report(peer, 'bad-request')
      await this.refuse(stream, ResponseStatus.BAD_REQUEST, idle)
      return
    }
    const opened = await openUnchanged(source)
    if (opened.handle == null) {
      if (opened.gone) {
        this.unavailable(contentId, source)
      }
      await this.refuse(stream, ResponseStatus.UNAVAILABLE, idle)
      return
    }
    const handle = opened.handle
    try {
      stream.send(encodeResponse({ status: ResponseStatus.OK }))
      if (isPieces) {
        const start = request.first * manifest.pieceSize
        const end = Math.min(manifest.size, (request.first + request.count) * manifest.pieceSize)
        await this.sendRange(stream, handle, source.path, start, end, idle, this.uploadPerPeer.get(peer.toString()))
          .catch((err: Error) => {
            if (err instanceof FileChangedError) {
              this.unavailable(contentId, source)
            }
            throw err
          })
      } else {
        stream.send(encodeLength(source.manifestBytes.byteLength))
        stream.send(source.manifestBytes)
        this.stats.bytesServed += source.manifestBytes.byteLength
      }
      await stream.close({ signal: idle.signal })
      this.stats.requestsServed++
    } finally {
      await handle.close()
    }
  }

  /** Looks a content id up; a failing lookup is logged and answered like an unknown id. */
  private async find (contentId: string): Promise<SharedFileSource | undefined> {
    try {
      return await this.init.lookup(contentId)
    } catch (err) {
      this.init.log.error('lookup of %s failed - %e', contentId, err)
      return undefined
    }
  }

  /**
   * Sends [start, end) of the file: one read ahead while the previous chunk is
   * sent, and no new chunk while more than one waits in the send buffer, so at
   * most three chunks of a request are in memory however slow the reader is.
   * Under an upload rate each chunk waits for its turn before it is sent.
   */
  private async sendRange (stream: Stream, handle: FileHandle, path: string, start: number, end: number, idle: IdleTimeout, peerRate?: UploadRate): Promise<void> {
    const readChunk = (position: number): Promise<Uint8Array> => {
      const read = readExactly(handle, position, Math.min(this.chunkSize, end - position), path)
      // Rejections surface when awaited below; this stops one from going
      // unhandled while the loop waits for a drain that fails first.
      read.catch(() => {})
      return read
    }
    let position = start
    let next = position < end ? readChunk(position) : undefined
    while (next != null) {
      const chunk = await next
      position += chunk.byteLength
      next = position < end ? readChunk(position) : undefined
      await waitForRates(stream, [this.uploadTotal, peerRate], chunk.byteLength, idle)
      idle.touch()
      stream.send(chunk)
      await sendBufferBelow(stream, this.chunkSize, idle.signal)
      this.stats.bytesServed += chunk.byteLength
    }
  }

  /** Drops the per-peer rates of peers no longer served whose allowance is whole again (the map stays as small as the peers served lately). */
  private forgetRestedRates (): void {
    for (const [peer, rate] of this.uploadPerPeer) {
      if (rate.rested && this.admission.activeOf(peer) === 0) {
        this.uploadPerPeer.delete(peer)
      }
    }
  }

  /** Tells the node a shared file is gone; its callback must not break serving. */
  private unavailable (contentId: string, source: SharedFileSource): void {
    this.init.log('%s is gone from %s: told the index', contentId, source.path)
    try {
      this.init.onUnavailable?.(contentId, source)
    } catch (err) {
      this.init.log.error('the unavailable callback threw - %e', err)
    }
  }

  /** Tells the node about a peer breaking a rule. */
  private report (peer: PeerId, kind: FileViolation): void {
    this.admission.report(peer, kind)
  }

  /** Answers with a status other than OK, and counts it. */
  private async refuse (stream: Stream, status: Exclude<ResponseStatus, typeof ResponseStatus.OK>, idle: IdleTimeout): Promise<void> {
    this.stats[REFUSAL_COUNTERS[status]]++
    stream.send(encodeResponse({ status }))
    await stream.close({ signal: idle.signal })
  }
}

/** Errors of open() that say the file is not there any more (rather than that opening failed this time). */
const GONE_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR'])

/**
 * Opens a shared file if it still has the size and mtime it was indexed
 * with; else no handle, and `gone` when it has vanished or changed for good.
 */
async function openUnchanged (source: SharedFileSource): Promise<{ handle?: FileHandle, gone: boolean }> {
  let handle: FileHandle | undefined
  let gone: boolean
  try {
    handle = await open(source.path, 'r')
    const stat = await handle.stat()
    if (stat.isFile() && stat.size === source.size && stat.mtimeMs === source.mtimeMs) {
      return { handle, gone: false }
    }
    gone = true
  } catch (err) {
    // Vanished, or unreadable (EMFILE, EACCES…): the same answer as changed, but only the first is for good.
    gone = GONE_CODES.has((err as NodeJS.ErrnoException).code ?? '')
  }
  await handle?.close()
  return { gone }
}

/** Reads exactly `length` bytes at `position` into fresh memory; a file that shrank throws. */
async function readExactly (handle: FileHandle, position: number, length: number, path: string): Promise<Uint8Array> {
  const buffer = Buffer.allocUnsafeSlow(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done)
    if (bytesRead === 0) {
      throw new FileChangedError(path)
    }
    done += bytesRead
  }
  return buffer
}
