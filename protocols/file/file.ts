import { NotStartedError, serviceCapabilities } from '@libp2p/interface'
import { withDefaults } from '../shared/defaults.ts'
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
    const settings = withDefaults(defaults.defaultValues, init)
    this.maxInboundStreams = settings.maxInboundStreams
    this.maxOutboundStreams = settings.maxOutboundStreams
    this.server = new FileServer({
      ...settings,
      // Without a lookup nothing is shared: every id is answered NOT_FOUND.
      lookup: init.lookup ?? (() => undefined),
      log: this.log,
      onViolation: init.onViolation,
      onUnavailable: init.onUnavailable
    })
    this.client = new FileClient({ ...settings, connectionManager: components.connectionManager, log: this.log })
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
