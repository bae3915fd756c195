import { mkdir, unlink } from 'node:fs/promises'
import { basename } from 'node:path'
import { MovingAverage } from '@libp2p/utils'
import { raceSignal } from 'race-signal'
import { pieceCount } from '../../protocols/file/manifest.ts'
import { Bitfield } from './bitfield.ts'
import { DownloadAbortedError, DownloadWriteError } from './errors.ts'
import { fetchManifest } from './fetch-manifest.ts'
import { sanitiseFileName } from './file-names.ts'
import { DownloadJournal } from './journal.ts'
import { PartFile, publish, syncDir } from './part-file.ts'
import { PieceFetcher } from './piece-fetcher.ts'
import { PieceScheduler } from './piece-scheduler.ts'
import { ProviderPool } from './provider-pool.ts'
import { piecesBytes, recordPieces } from './records.ts'
import { publishedPath } from './recovery.ts'
import type { Budget } from './budget.ts'
import type { DownloadRecord, DownloadRecords } from './records.ts'
import type { DownloadFigures, DownloadOptions, DownloadProgress, DownloadRequest, DownloadResult, DownloadState, DownloadTunables } from './types.ts'
import type { Manifest, PeeritFile } from '../../protocols/file/index.ts'
import type { Logger } from '@libp2p/interface'

/** What every download of a manager shares. */
export interface DownloadJobContext {
  file: PeeritFile
  records: DownloadRecords
  downloadDir: string
  providers: (contentId: string, only?: string[]) => Promise<string[]>
  /** Bytes requested and not yet written, over all downloads. */
  bytesInFlight: Budget
  /** Downloads running at once. */
  slots: Budget
  tunables: DownloadTunables
  log: Logger
}

/** A part file ready to receive pieces, with the pieces it already holds (on disk and recorded). */
interface OpenPart {
  part: PartFile
  persisted: Bitfield
}

/**
 * One download, from its record to its final name: wait for a slot, get the
 * manifest (saved, or from a provider), open or create the part file, fetch
 * the missing pieces, then publish the file under its final name and forget
 * the record. Callers join it; it ends when it completes, fails, or every
 * caller has left.
 */
export class DownloadJob {
  readonly contentId: string
  readonly result: Promise<DownloadResult>
  readonly #ctx: DownloadJobContext
  readonly #request: DownloadRequest
  readonly #controller = new AbortController()
  readonly #listeners = new Set<(progress: DownloadProgress) => void>()
  readonly #suppliers = new Set<string>()
  readonly #rate = new MovingAverage(2000)
  #participants = 0
  #journal?: DownloadJournal
  #manifest?: Manifest
  #verified?: Bitfield
  #fetcher?: PieceFetcher
  #lastTick = { at: Date.now(), received: 0 }

  constructor (ctx: DownloadJobContext, request: DownloadRequest) {
    this.#ctx = ctx
    this.#request = request
    this.contentId = request.contentId
    this.result = this.#run()
    // Callers see the outcome through join(); this only keeps an unjoined failure from being "unhandled".
    this.result.catch(() => {})
  }

  /** Follows the download: progress to `onProgress`; if `signal` aborts, this caller leaves, and the last one to leave stops the download. */
  async join (options: DownloadOptions = {}): Promise<DownloadResult> {
    const { signal, onProgress } = options
    this.#participants++
    if (onProgress != null) {
      this.#listeners.add(onProgress)
    }
    try {
      return signal == null ? await this.result : await raceSignal(this.result, signal)
    } catch (err) {
      if (signal?.aborted === true && --this.#participants === 0) {
        this.abort()
      }
      throw signal?.aborted === true ? new DownloadAbortedError(this.contentId) : err
    } finally {
      if (onProgress != null) {
        this.#listeners.delete(onProgress)
      }
    }
  }

  /** Stops the download, keeping its state for a resume. */
  abort (reason: Error = new DownloadAbortedError(this.contentId)): void {
    this.#controller.abort(reason)
  }

  /** Where the download stands now. */
  state (): DownloadState {
    return { ...this.#figures(), status: 'active', partPath: this.#journal?.record.partPath ?? '' }
  }

  #figures (): DownloadFigures {
    const record = this.#journal?.record
    const manifest = this.#manifest
    const verified = this.#verified
    return {
      contentId: this.contentId,
      name: record?.name ?? this.#request.name,
      size: manifest?.size ?? record?.size ?? this.#request.size ?? 0,
      received: manifest != null && verified != null ? piecesBytes(verified, manifest.size, manifest.pieceSize) : 0,
      piecesDone: verified?.count ?? 0,
      pieceCount: manifest != null ? pieceCount(manifest) : 0
    }
  }

  async #run (): Promise<DownloadResult> {
    const { records, slots, downloadDir, log } = this.#ctx
    const signal = this.#controller.signal
    const journal = new DownloadJournal({
      records,
      record: await this.#loadRecord(),
      tunables: this.#ctx.tunables,
      onError: err => { this.abort(err) }
    })
    this.#journal = journal
    // Progress ticks from the start, not only once pieces flow: a download queued for a slot or
    // waiting for providers still reports, so whoever follows it (the CLI) knows it is alive.
    const ticker = setInterval(() => { this.#tick() }, this.#ctx.tunables.progressIntervalMs)
    let slot = false
    let part: PartFile | undefined
    try {
      await journal.save()
      await slots.acquire(1, signal)
      slot = true
      await mkdir(downloadDir, { recursive: true })
      const pool = new ProviderPool({
        contentId: this.contentId,
        source: async () => this.#ctx.providers(this.contentId, journal.record.from),
        tunables: this.#ctx.tunables,
        log
      })
      const manifest = await this.#loadManifest(pool, signal)
      const published = await publishedPath(journal.record, manifest)
      if (published != null) {
        await journal.close()
        await records.delete(this.contentId)
        return this.#result(published, manifest)
      }
      const open = await this.#openPart(manifest)
      part = open.part
      journal.track(part, open.persisted)
      await this.#fetch(manifest, open, pool, signal)
      return await this.#publish(manifest, part)
    } catch (err) {
      const error = signal.aborted ? signal.reason as Error : err as Error
      await journal.flush().catch(() => {})
      journal.record.status = error.name === 'AbortError' || error.name === 'NoProvidersError' ? 'interrupted' : 'failed'
      journal.record.error = error.name === 'AbortError' ? undefined : error.message
      await journal.save().catch(err => { log.error('could not save the state of %s - %e', this.contentId, err) })
      log('download of %s stopped - %e', this.contentId, error)
      throw error
    } finally {
      clearInterval(ticker)
      await journal.close()
      await part?.close()
      if (slot) {
        slots.release(1)
      }
    }
  }

  async #loadRecord (): Promise<DownloadRecord> {
    const saved = await this.#ctx.records.get(this.contentId)
    const record: DownloadRecord = saved ?? {
      contentId: this.contentId,
      name: sanitiseFileName(this.#request.name, `download-${this.contentId.slice(0, 12)}`),
      size: 0,
      pieceSize: 0,
      pieceCount: 0,
      pieces: '',
      partPath: '',
      status: 'active',
      from: this.#request.from
    }
    record.status = 'active'
    delete record.error
    // A new request's `from` wins over the one recorded: the user asked again.
    if (this.#request.from != null) {
      record.from = this.#request.from
    }
    return record
  }

  async #loadManifest (pool: ProviderPool, signal: AbortSignal): Promise<Manifest> {
    const { records, file, tunables, log } = this.#ctx
    let manifest = await records.getManifest(this.contentId)
    if (manifest == null) {
      manifest = await fetchManifest({ contentId: this.contentId, file, pool, timeoutMs: tunables.manifestTimeoutMs, log }, signal)
      await records.putManifest(this.contentId, manifest)
    }
    Object.assign(this.#journal!.record, { size: manifest.size, pieceSize: manifest.pieceSize, pieceCount: pieceCount(manifest) })
    await this.#journal!.save()
    this.#manifest = manifest
    return manifest
  }

  /** Reopens the recorded part file, or creates a new one when there is none or it cannot be trusted. */
  async #openPart (manifest: Manifest): Promise<OpenPart> {
    const record = this.#journal!.record
    if (record.partPath !== '') {
      const part = await PartFile.reopen(record.partPath, manifest.size)
      if (part != null) {
        return { part, persisted: recordPieces(record) }
      }
      await unlink(record.partPath).catch(() => {})
    }
    const part = await PartFile.create(this.#ctx.downloadDir, record.name, manifest.size)
    const persisted = new Bitfield(pieceCount(manifest))
    Object.assign(record, { partPath: part.path, pieces: persisted.toBase64() })
    await this.#journal!.save()
    return { part, persisted }
  }

  async #fetch (manifest: Manifest, open: OpenPart, pool: ProviderPool, signal: AbortSignal): Promise<void> {
    // The scheduler's bitfield runs ahead of the recorded one: written, not yet flushed.
    const verified = new Bitfield(open.persisted.length, open.persisted.bytes)
    this.#verified = verified
    const scheduler = new PieceScheduler(verified)
    if (scheduler.complete) {
      return
    }
    const journal = this.#journal!
    this.#fetcher = new PieceFetcher({
      contentId: this.contentId,
      manifest,
      file: this.#ctx.file,
      scheduler,
      part: open.part,
      pool,
      budget: this.#ctx.bytesInFlight,
      tunables: this.#ctx.tunables,
      log: this.#ctx.log,
      onPiece: (index, peer) => {
        this.#suppliers.add(peer)
        journal.add(index)
      }
    })
    try {
      await this.#fetcher.run(signal)
    } finally {
      this.#tick()
    }
  }

  /** The whole file is verified piece by piece; check its size, flush it, and give it its final name. */
  async #publish (manifest: Manifest, part: PartFile): Promise<DownloadResult> {
    const journal = this.#journal!
    const { downloadDir, records } = this.#ctx
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
    await records.delete(this.contentId)
    return this.#result(path, manifest)
  }

  #result (path: string, manifest: Manifest): DownloadResult {
    return { contentId: this.contentId, name: basename(path), path, size: manifest.size, providers: [...this.#suppliers] }
  }

  #tick (): void {
    const figures = this.#figures()
    const now = Date.now()
    const elapsed = Math.max(1, now - this.#lastTick.at)
    this.#rate.push((figures.received - this.#lastTick.received) * 1000 / elapsed, now)
    this.#lastTick = { at: now, received: figures.received }
    const detail: DownloadProgress = { ...figures, peers: this.#fetcher?.peers ?? [], bytesPerSecond: Math.round(this.#rate.movingAverage) }
    for (const listener of this.#listeners) {
      try {
        listener(detail)
      } catch (err) {
        this.#ctx.log.error('a progress listener threw - %e', err)
      }
    }
  }
}
