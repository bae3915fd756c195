import { mkdir, unlink } from 'node:fs/promises'
import { basename } from 'node:path'
import { raceSignal } from 'race-signal'
import { pieceCount } from '../../protocols/file/manifest.ts'
import { Bitfield } from './bitfield.ts'
import { discardDownload } from './discard.ts'
import { DownloadAbortedError, DownloadCancelledError, DownloadPausedError, DownloadWriteError, interruptedError, NoProvidersError, SizeMismatchError } from './errors.ts'
import { fetchManifest } from './fetch-manifest.ts'
import { sanitiseFileName } from './file-names.ts'
import { DownloadJournal } from './journal.ts'
import { PartFile, publish, syncDir } from './part-file.ts'
import { PieceFetcher } from './piece-fetcher.ts'
import { PieceScheduler } from './piece-scheduler.ts'
import { ProviderPool } from './provider-pool.ts'
import { RateWindow } from './rate-window.ts'
import { piecesBytes, recordPieces } from './records.ts'
import { publishedPath } from './recovery.ts'
import type { Manifest, PeeritFile } from '../../protocols/file/index.ts'
import type { Budget } from './budget.ts'
import type { DownloadRate } from './download-rate.ts'
import type { DownloadHistory } from './history.ts'
import type { DownloadRecord, DownloadRecords } from './records.ts'
import type { DownloadEntry, DownloadFigures, DownloadManagerInit, DownloadOptions, DownloadProgress, DownloadRequest, DownloadResult, DownloadState, DownloadStatus, DownloadTunables } from './types.ts'
import type { Logger } from '@libp2p/interface'

/** What every download of a manager shares. */
export interface DownloadJobContext {
  file: PeeritFile
  records: DownloadRecords
  downloadDir: string
  providers: DownloadManagerInit['providers']
  /** Bytes requested and not yet written, over all downloads. */
  bytesInFlight: Budget
  /** Downloads running at once. */
  slots: Budget
  /** The total download rate every request waits for. */
  rate: DownloadRate
  history: DownloadHistory
  tunables: DownloadTunables
  /** Whether interrupted downloads resume by themselves (what an interrupted one tells its followers). */
  autoResume: boolean
  log: Logger
  /** A download's status changed. */
  onStatus: (entry: DownloadEntry) => void
  /** A download completed. */
  onFinished: (result: DownloadResult, manifest: Manifest) => void
}

/** How a stop the node asked for ends a download. */
export type StopAs = 'paused' | 'interrupted' | 'cancelled'

/** A part file ready to receive pieces, with the pieces it already holds (on disk and recorded). */
interface OpenPart {
  part: PartFile
  persisted: Bitfield
}

/**
 * One download, from its record to its final name: wait for a slot, get the
 * manifest (saved, or from a provider), open or create the part file, fetch
 * the missing pieces, then publish the file under its final name, forget the
 * record and add it to the history. Callers join it; it ends when it
 * completes, fails, is stopped (paused, interrupted, cancelled), or every
 * caller of one that is not detached has left (it is then paused).
 */
export class DownloadJob {
  readonly contentId: string
  readonly result: Promise<DownloadResult>
  private readonly ctx: DownloadJobContext
  private readonly request: DownloadRequest
  private readonly controller = new AbortController()
  private readonly listeners = new Set<(progress: DownloadProgress) => void>()
  private readonly suppliers = new Set<string>()
  private readonly rate = new RateWindow()
  private participants = 0
  private detached = false
  private currentStatus: DownloadStatus = 'queued'
  private stopAs?: StopAs
  private publishingStarted = false
  private path?: string
  private error?: string
  private journal?: DownloadJournal
  private manifest?: Manifest
  private verified?: Bitfield
  private fetcher?: PieceFetcher
  private bytesPerSecond = 0

  constructor (ctx: DownloadJobContext, request: DownloadRequest, detached: boolean) {
    this.ctx = ctx
    this.request = request
    this.detached = detached
    this.contentId = request.contentId
    this.result = this.run()
    // Callers see the outcome through join(); this only keeps an unjoined failure from being "unhandled".
    this.result.catch(() => {})
  }

  /** Follows the download: progress to `onProgress`; if `signal` aborts, this caller leaves, and the last one to leave stops the download. */
  async join (options: DownloadOptions = {}): Promise<DownloadResult> {
    const { signal, onProgress } = options
    this.participants++
    if (onProgress != null) {
      this.listeners.add(onProgress)
    }
    try {
      return signal == null ? await this.result : await raceSignal(this.result, signal)
    } catch (err) {
      // Ctrl-C in `peerit download` pauses, never half-cancels; a detached download goes on without its watchers.
      if (signal?.aborted === true && --this.participants === 0 && !this.detached) {
        this.stop('paused')
      }
      throw signal?.aborted === true ? new DownloadAbortedError(this.contentId) : err
    } finally {
      if (onProgress != null) {
        this.listeners.delete(onProgress)
      }
    }
  }

  /** From now on the download runs on its own: callers that leave no longer pause it. */
  detach (): void {
    this.detached = true
  }

  /** The status now. */
  get status (): DownloadStatus {
    return this.currentStatus
  }

  /** Whether the file is being given its final name: too late to pause or cancel it. */
  get publishing (): boolean {
    return this.publishingStarted
  }

  /**
   * Stops the download: `paused` and `interrupted` keep its state for a resume,
   * `cancelled` deletes its part file and state. Resolves with the status it
   * ended with, which is `completed` when the stop came while it was being
   * published (a half-published file is never left behind).
   */
  async stop (as: StopAs): Promise<DownloadStatus> {
    if (!this.publishingStarted && !this.controller.signal.aborted) {
      this.stopAs = as
      this.controller.abort(new DownloadAbortedError(this.contentId))
    }
    await this.result.catch(() => {})
    return this.currentStatus
  }

  /** Stops the download as a shutdown does, keeping its state: it is resumed at the next start. */
  abort (reason: Error = new DownloadAbortedError(this.contentId)): void {
    this.stopAs ??= 'interrupted'
    this.controller.abort(reason)
  }

  /** Where the download stands now. */
  state (): DownloadState {
    return { ...this.figures(), status: 'active', partPath: this.journal?.record.partPath ?? '' }
  }

  /** The download as `downloads` lists it. */
  entry (): DownloadEntry {
    const { contentId, name, size, received } = this.figures()
    const running = this.currentStatus === 'active'
    return {
      contentId,
      name,
      size,
      received,
      status: this.currentStatus,
      providers: running ? this.fetcher?.peers.length ?? 0 : 0,
      bytesPerSecond: running ? this.bytesPerSecond : 0,
      ...(this.path == null ? {} : { path: this.path }),
      ...(this.error == null ? {} : { error: this.error })
    }
  }

  /** When the download was first asked for, for ordering lists. */
  get addedAt (): number {
    return this.journal?.record.addedAt ?? Date.now()
  }

  private setStatus (status: DownloadStatus): void {
    if (status === this.currentStatus && status !== 'queued') {
      return
    }
    this.currentStatus = status
    try {
      this.ctx.onStatus(this.entry())
    } catch (err) {
      this.ctx.log.error('a status listener threw - %e', err)
    }
  }

  private figures (): DownloadFigures {
    const record = this.journal?.record
    const manifest = this.manifest
    // Until the fetch starts, what the record says is on the disk (a resumed download is not at 0).
    const verified = this.verified ?? (record != null ? recordPieces(record) : undefined)
    const size = manifest?.size ?? record?.size ?? this.request.size ?? 0
    const pieceSize = manifest?.pieceSize ?? record?.pieceSize ?? 0
    return {
      contentId: this.contentId,
      name: record?.name ?? this.request.name,
      size,
      received: this.path != null ? size : verified != null ? piecesBytes(verified, size, pieceSize) : 0,
      piecesDone: verified?.count ?? 0,
      pieceCount: manifest != null ? pieceCount(manifest) : record?.pieceCount ?? 0
    }
  }

  private async run (): Promise<DownloadResult> {
    const { records, slots, downloadDir, log } = this.ctx
    const signal = this.controller.signal
    const journal = new DownloadJournal({
      records,
      record: await this.loadRecord(),
      tunables: this.ctx.tunables,
      // A failed flush (a full disk) fails the download: it is not a stop the user asked for.
      onError: err => { this.controller.abort(err) }
    })
    this.journal = journal
    this.setStatus('queued')
    // Progress ticks from the start, not only once pieces flow: a download queued for a slot or
    // waiting for providers still reports, so whoever follows it (the CLI) knows it is alive.
    const ticker = setInterval(() => { this.tick() }, this.ctx.tunables.progressIntervalMs)
    let slot = false
    let part: PartFile | undefined
    try {
      await journal.save()
      await this.ctx.history.forget(this.contentId)
      await slots.acquire(1, signal)
      slot = true
      this.setStatus('active')
      log('download of %s (%s) %s%s', journal.record.name, this.contentId.slice(0, 12), journal.record.partPath === '' ? 'started' : 'resumed', this.request.from == null ? '' : ` from ${this.request.from.join(', ')} only`)
      await mkdir(downloadDir, { recursive: true })
      const pool = new ProviderPool({
        contentId: this.contentId,
        source: async (signal) => this.ctx.providers(this.contentId, this.request.from, signal),
        tunables: this.ctx.tunables,
        log
      })
      const manifest = await this.loadManifest(pool, signal)
      if (this.request.expectedSize != null && manifest.size !== this.request.expectedSize) {
        throw new SizeMismatchError(this.request.expectedSize, manifest.size)
      }
      const published = await publishedPath(journal.record, manifest)
      if (published != null) {
        await journal.close()
        return await this.complete(published, manifest)
      }
      const open = await this.openPart(manifest)
      part = open.part
      journal.track(part, open.persisted)
      await this.fetch(manifest, open, pool, signal)
      return await this.publish(manifest, part)
    } catch (err) {
      const error = signal.aborted ? signal.reason as Error : err as Error
      const stopAs = this.stopAs ?? (signal.aborted && error.name === 'AbortError' ? 'interrupted' : undefined)
      const name = journal.record.name
      if (stopAs === 'cancelled') {
        await journal.close()
        await part?.close()
        await discardDownload(records, journal.record)
        await this.finish('cancelled')
        log('download of %s (%s) cancelled', name, this.contentId.slice(0, 12))
        throw new DownloadCancelledError(this.contentId, name)
      }
      await journal.flush().catch(() => {})
      const status = stopAs ?? (error.name === 'NoProvidersError' ? 'interrupted' : 'failed')
      journal.record.status = status
      journal.record.error = stopAs != null ? undefined : error.message
      this.error = journal.record.error
      await journal.save().catch(err => { log.error('could not save the state of %s - %e', this.contentId, err) })
      const received = this.figures().received
      if (stopAs != null) {
        log('download of %s (%s) %s at %d bytes', name, this.contentId.slice(0, 12), status, received)
      } else {
        log.error('download of %s (%s) failed at %d bytes, the part file is kept - %e', name, this.contentId.slice(0, 12), received, error)
      }
      this.setStatus(status)
      if (stopAs === 'paused') {
        throw new DownloadPausedError(this.contentId, name)
      }
      throw stopAs == null && error instanceof NoProvidersError ? interruptedError(name, error, this.ctx.autoResume) : error
    } finally {
      clearInterval(ticker)
      await journal.close()
      await part?.close()
      if (slot) {
        slots.release(1)
      }
    }
  }

  private async loadRecord (): Promise<DownloadRecord> {
    const saved = await this.ctx.records.get(this.contentId)
    const record: DownloadRecord = saved ?? {
      contentId: this.contentId,
      name: sanitiseFileName(this.request.name, `download-${this.contentId.slice(0, 12)}`),
      size: this.request.size ?? 0,
      pieceSize: 0,
      pieceCount: 0,
      pieces: '',
      partPath: '',
      status: 'active',
      addedAt: Date.now()
    }
    record.status = 'active'
    delete record.error
    // `from` constrains this request only: a download resumed later asks every known provider,
    // so a wrong `-p` never makes a file undownloadable (it was kept in the record before).
    delete record.from
    return record
  }

  private async loadManifest (pool: ProviderPool, signal: AbortSignal): Promise<Manifest> {
    const { records, file, tunables, log } = this.ctx
    let manifest = await records.getManifest(this.contentId)
    if (manifest == null) {
      manifest = await fetchManifest({ contentId: this.contentId, file, pool, timeoutMs: tunables.manifestTimeoutMs, log }, signal)
      await records.putManifest(this.contentId, manifest)
    }
    Object.assign(this.journal!.record, { size: manifest.size, pieceSize: manifest.pieceSize, pieceCount: pieceCount(manifest) })
    await this.journal!.save()
    this.manifest = manifest
    return manifest
  }

  /** Reopens the recorded part file, or creates a new one when there is none or it cannot be trusted. */
  private async openPart (manifest: Manifest): Promise<OpenPart> {
    const record = this.journal!.record
    if (record.partPath !== '') {
      const part = await PartFile.reopen(record.partPath, manifest.size)
      if (part != null) {
        return { part, persisted: recordPieces(record) }
      }
      await unlink(record.partPath).catch(() => {})
    }
    const part = await PartFile.create(this.ctx.downloadDir, record.name, manifest.size)
    const persisted = new Bitfield(pieceCount(manifest))
    Object.assign(record, { partPath: part.path, pieces: persisted.toBase64() })
    await this.journal!.save()
    return { part, persisted }
  }

  private async fetch (manifest: Manifest, open: OpenPart, pool: ProviderPool, signal: AbortSignal): Promise<void> {
    // The scheduler's bitfield runs ahead of the recorded one: written, not yet flushed.
    const verified = new Bitfield(open.persisted.length, open.persisted.bytes)
    this.verified = verified
    const scheduler = new PieceScheduler(verified)
    if (scheduler.complete) {
      return
    }
    const journal = this.journal!
    this.fetcher = new PieceFetcher({
      contentId: this.contentId,
      manifest,
      file: this.ctx.file,
      scheduler,
      part: open.part,
      pool,
      budget: this.ctx.bytesInFlight,
      rate: this.ctx.rate,
      tunables: this.ctx.tunables,
      log: this.ctx.log,
      onPiece: (index, peer) => {
        this.suppliers.add(peer)
        journal.add(index)
      }
    })
    try {
      await this.fetcher.run(signal)
    } finally {
      this.tick()
    }
  }

  /** The whole file is verified piece by piece; check its size, flush it, and give it its final name. */
  private async publish (manifest: Manifest, part: PartFile): Promise<DownloadResult> {
    // From here on a pause or a cancel waits for the file to be complete rather than leave half of it.
    this.publishingStarted = true
    const journal = this.journal!
    const { downloadDir } = this.ctx
    await journal.flush()
    if (await part.size() !== manifest.size) {
      throw new DownloadWriteError(part.path, { cause: new Error(`the part file is not ${manifest.size} bytes long`) })
    }
    await part.sync()
    await part.close()
    const path = await publish(part.path, downloadDir, journal.record.name, async candidate => {
      journal.record.finalPath = candidate
      await journal.save()
    })
    await syncDir(downloadDir)
    await journal.close()
    return this.complete(path, manifest)
  }

  /** The file is under its final name: forget the record, keep it in the history. */
  private async complete (path: string, manifest: Manifest): Promise<DownloadResult> {
    const { records, log } = this.ctx
    await records.delete(this.contentId)
    this.path = path
    const result: DownloadResult = { contentId: this.contentId, name: basename(path), path, size: manifest.size, providers: [...this.suppliers] }
    // The final name may differ from the record's (a collision): the history shows the file as saved.
    this.journal!.record.name = result.name
    await this.finish('completed')
    log('download of %s (%s) finished: %d bytes from %d peers → %s', result.name, this.contentId.slice(0, 12), result.size, result.providers.length, path)
    try {
      this.ctx.onFinished(result, manifest)
    } catch (err) {
      log.error('a finish listener threw - %e', err)
    }
    return result
  }

  /** Adds a finished download to the history and says so. */
  private async finish (status: 'completed' | 'cancelled'): Promise<void> {
    const { contentId, name, size, received } = this.figures()
    await this.ctx.history.add({ contentId, name, size, received, status, ...(this.path == null ? {} : { path: this.path }) })
      .catch((err: Error) => { this.ctx.log.error('could not add %s to the history - %e', contentId, err) })
    this.setStatus(status)
  }

  private tick (): void {
    const figures = this.figures()
    this.bytesPerSecond = this.rate.push(figures.received)
    const status = this.currentStatus === 'queued' ? 'queued' : 'active'
    const detail: DownloadProgress = { ...figures, status, peers: this.fetcher?.peers ?? [], bytesPerSecond: this.bytesPerSecond }
    for (const listener of this.listeners) {
      try {
        listener(detail)
      } catch (err) {
        this.ctx.log.error('a progress listener threw - %e', err)
      }
    }
  }
}
