import { NotStartedError, serviceCapabilities } from '@libp2p/interface'
import { FileClient } from './client.ts'
import * as defaults from './constants.ts'
import { FileServer } from './server.ts'
import type { FileStats, PeeritFile, PeeritFileComponents, PeeritFileInit, PieceData } from './index.ts'
import type { Manifest } from './manifest.ts'
import type { AbortOptions, Logger, PeerId, Startable } from '@libp2p/interface'

/**
 * The `/peerit/file/1.0` service: a {@link FileServer} mounted on the
 * registrar while started, and a {@link FileClient} for outbound requests.
 */
export class PeeritFileService implements PeeritFile, Startable {
  readonly [Symbol.toStringTag] = '@peerit/file'
  readonly [serviceCapabilities] = ['@peerit/file']
  private readonly components: PeeritFileComponents
  private readonly log: Logger
  private readonly server: FileServer
  private readonly client: FileClient
  private readonly maxInboundStreams: number
  private readonly maxOutboundStreams: number
  private started = false

  constructor (components: PeeritFileComponents, init: PeeritFileInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('peerit:file')
    this.maxInboundStreams = init.maxInboundStreams ?? defaults.MAX_INBOUND_STREAMS
    this.maxOutboundStreams = init.maxOutboundStreams ?? defaults.MAX_OUTBOUND_STREAMS
    const timeoutMs = init.timeoutMs ?? defaults.TIMEOUT_MS
    const maxPiecesPerRequest = init.maxPiecesPerRequest ?? defaults.MAX_PIECES_PER_REQUEST
    this.server = new FileServer({
      // Without a lookup nothing is shared: every id is answered NOT_FOUND.
      lookup: init.lookup ?? (() => undefined),
      log: this.log,
      maxConcurrentPerPeer: init.maxConcurrentPerPeer ?? defaults.MAX_CONCURRENT_PER_PEER,
      maxConcurrentTotal: init.maxConcurrentTotal ?? defaults.MAX_CONCURRENT_TOTAL,
      requestsPerMinute: init.requestsPerMinute ?? defaults.REQUESTS_PER_MINUTE,
      uploadBytesPerSecond: init.uploadBytesPerSecond ?? defaults.UPLOAD_BYTES_PER_SECOND,
      uploadBytesPerSecondPerPeer: init.uploadBytesPerSecondPerPeer ?? defaults.UPLOAD_BYTES_PER_SECOND,
      onViolation: init.onViolation,
      onUnavailable: init.onUnavailable,
      maxPiecesPerRequest,
      timeoutMs,
      readChunkSize: init.readChunkSize ?? defaults.READ_CHUNK_SIZE
    })
    this.client = new FileClient({
      connectionManager: components.connectionManager,
      log: this.log,
      timeoutMs,
      highWaterMark: init.highWaterMark ?? defaults.HIGH_WATER_MARK,
      maxPiecesPerRequest
    })
  }

  /** A snapshot of the server's counters. */
  get stats (): FileStats {
    return { ...this.server.stats }
  }

  async start (): Promise<void> {
    await this.components.registrar.handle(defaults.PROTOCOL, this.server.handleStream, {
      maxInboundStreams: this.maxInboundStreams,
      maxOutboundStreams: this.maxOutboundStreams
    })
    this.started = true
  }

  async stop (): Promise<void> {
    await this.components.registrar.unhandle(defaults.PROTOCOL)
    this.server.abortAll(new NotStartedError('the file service stopped'))
    this.started = false
  }

  isStarted (): boolean {
    return this.started
  }

  setUploadBytesPerSecond (bytesPerSecond: number): void {
    this.server.setUploadBytesPerSecond(bytesPerSecond)
  }

  async getManifest (peer: PeerId, contentId: string, options?: AbortOptions): Promise<Manifest> {
    return this.client.getManifest(peer, contentId, options)
  }

  getPieces (peer: PeerId, contentId: string, manifest: Manifest, first: number, count: number, options?: AbortOptions): AsyncGenerator<PieceData> {
    return this.client.getPieces(peer, contentId, manifest, first, count, options)
  }
}
