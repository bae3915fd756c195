import { AutoResume } from './auto-resume.ts'
import { Budget } from './budget.ts'
import { CONTENT_ID, DEFAULT_TUNABLES } from './constants.ts'
import { discardDownload } from './discard.ts'
import { DownloadJob } from './download-job.ts'
import { DownloadRate } from './download-rate.ts'
import { InvalidDownloadError } from './errors.ts'
import { DownloadHistory } from './history.ts'
import { DownloadRecords, piecesBytes, recordPieces } from './records.ts'
import { selectDownloads } from './targets.ts'
import type { DownloadJobContext } from './download-job.ts'
import type { DownloadRecord } from './records.ts'
import type { DownloadChange, DownloadEntry, DownloadManagerInit, DownloadOptions, DownloadRequest, DownloadResult, DownloadSelector, DownloadState, DownloadTunables, ResumeOutcome } from './types.ts'

export type { DownloadChange, DownloadEntry, DownloadManagerInit, DownloadOptions, DownloadProgress, DownloadRequest, DownloadResult, DownloadSelector, DownloadState, DownloadStatus, DownloadTunables } from './types.ts'

/** Statuses of a download that is stored and not running: it can be resumed. */
const STOPPED = new Set(['paused', 'interrupted', 'failed'])

/**
 * The node's downloads: verified, multi-source, resumable. Each download
 * draws pieces from several providers at once, checks every piece against
 * the content id's manifest, writes to `<downloadDir>/<name>.part` and records
 * its progress in the store, so a stop or a crash loses nothing verified; a
 * complete file is renamed atomically to its final name. Downloads run a few
 * at a time, share one bound on the bytes in flight and one download rate,
 * and a second request for a content id already downloading joins it. They
 * can be paused, resumed and cancelled; finished ones are kept in a history.
 */
export class DownloadManager {
  private readonly context: DownloadJobContext
  private readonly records: DownloadRecords
  private readonly history: DownloadHistory
  private readonly jobs = new Map<string, DownloadJob>()
  private readonly autoResume?: AutoResume

  constructor (init: DownloadManagerInit) {
    const tunables = { ...DEFAULT_TUNABLES }
    for (const key of Object.keys(DEFAULT_TUNABLES) as Array<keyof DownloadTunables>) {
      tunables[key] = init[key] ?? tunables[key]
    }
    this.records = new DownloadRecords(init.section)
    this.history = new DownloadHistory(this.records)
    const log = init.logger.forComponent('peerit:downloads')
    if (init.autoResume !== false) {
      this.autoResume = new AutoResume({ ...init.autoResume, log, resume: async contentId => this.resumeInterrupted(contentId) })
    }
    const onStatus = init.onStatus ?? (() => {})
    this.context = {
      file: init.file,
      records: this.records,
      downloadDir: init.downloadDir,
      providers: init.providers,
      bytesInFlight: new Budget(tunables.maxBytesInFlight),
      slots: new Budget(tunables.maxParallelDownloads),
      rate: new DownloadRate(init.bytesPerSecond ?? 0),
      history: this.history,
      tunables,
      autoResume: this.autoResume != null,
      log,
      onStatus: (entry) => {
        this.autoResume?.onStatus(entry)
        onStatus(entry)
      },
      onFinished: init.onFinished ?? (() => {})
    }
  }

  /**
   * Downloads a file, or resumes it if it was stopped, or joins it if it
   * is running. Resolves when the file is complete under its final name.
   * Throws NoProvidersError (resumable), DiskFullError, DownloadWriteError,
   * InvalidDownloadError, DownloadPausedError, DownloadCancelledError, or an
   * AbortError when `signal` aborts (the download is then paused, unless it
   * was started detached or other callers still follow it).
   */
  async download (request: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadResult> {
    return this.job(request, false).join(options)
  }

  /** Starts (or resumes, or joins) a download that runs on its own in the background; answers at once. */
  start (request: DownloadRequest): DownloadChange {
    const job = this.job(request, true)
    job.detach()
    const { contentId, name, status } = job.entry()
    return { contentId, name, status }
  }

  /** Pauses running downloads (and stopped ones, which then stay stopped across restarts). */
  async pause (selector: DownloadSelector): Promise<DownloadChange[]> {
    const entries = await this.select(selector, entry => entry.status === 'queued' || entry.status === 'active' || entry.status === 'interrupted' || entry.status === 'failed')
    return Promise.all(entries.map(async entry => {
      const job = this.jobs.get(entry.contentId)
      if (job != null) {
        return change(entry, await job.stop('paused'))
      }
      const record = await this.records.get(entry.contentId)
      if (record != null && STOPPED.has(record.status)) {
        record.status = 'paused'
        await this.records.put(record)
        this.announce(storedEntry(record))
        return change(entry, 'paused')
      }
      return change(entry, entry.status)
    }))
  }

  /** Resumes stopped downloads in the background; `all` also takes the interrupted and failed ones. */
  async resume (selector: DownloadSelector): Promise<DownloadChange[]> {
    const entries = await this.select(selector, entry => STOPPED.has(entry.status))
    return entries.map(entry => STOPPED.has(entry.status) && !this.jobs.has(entry.contentId)
      ? this.start({ contentId: entry.contentId, name: entry.name })
      : change(entry, entry.status))
  }

  /** Cancels downloads: the transfer stops, the part file and state are deleted. One being published completes instead. */
  async cancel (selector: DownloadSelector): Promise<DownloadChange[]> {
    const entries = await this.select(selector, entry => entry.status !== 'completed' && entry.status !== 'cancelled')
    return Promise.all(entries.map(async entry => {
      const job = this.jobs.get(entry.contentId)
      if (job != null) {
        return change(entry, await job.stop('cancelled'))
      }
      const record = await this.records.get(entry.contentId)
      if (record == null) {
        return change(entry, entry.status)
      }
      await this.cancelStored(record)
      return change(entry, 'cancelled')
    }))
  }

  /** Every download the node knows, newest first: running and stopped ones, then the history. */
  async list (): Promise<DownloadEntry[]> {
    const live = new Map<string, { entry: DownloadEntry, addedAt: number }>()
    for (const record of await this.records.all()) {
      live.set(record.contentId, { entry: storedEntry(record), addedAt: record.addedAt ?? 0 })
    }
    for (const [contentId, job] of this.jobs) {
      live.set(contentId, { entry: job.entry(), addedAt: job.addedAt })
    }
    const current = [...live.values()].sort((a, b) => b.addedAt - a.addedAt).map(item => item.entry)
    const history = (await this.history.list()).filter(entry => !live.has(entry.contentId))
    return [...current, ...history]
  }

  /** Running and stored downloads with their part files (what `list` showed before the history). */
  async states (): Promise<DownloadState[]> {
    const states = new Map<string, DownloadState>()
    for (const record of await this.records.all()) {
      states.set(record.contentId, storedState(record))
    }
    for (const [contentId, job] of this.jobs) {
      states.set(contentId, job.state())
    }
    return [...states.values()]
  }

  /** Drops the history and the failed downloads (their part files too); returns what is left. */
  async clear (): Promise<DownloadEntry[]> {
    await this.history.clear()
    for (const record of await this.records.all()) {
      if (record.status === 'failed' && !this.jobs.has(record.contentId)) {
        await discardDownload(this.records, record)
      }
    }
    return this.list()
  }

  /** The total download rate in bytes per second (0 = unlimited). */
  get bytesPerSecond (): number {
    return this.context.rate.bytesPerSecond
  }

  /** Changes the total download rate at once, for running downloads too (0 = unlimited). */
  setRate (bytesPerSecond: number): void {
    this.context.rate.set(bytesPerSecond)
  }

  /**
   * Resumes every stored download that is not paused, in the background
   * (joining those already running), and says which completed and which
   * failed (those stay listed, resumable). Finishes cancels a crash cut short.
   */
  async resumeAll (options: DownloadOptions = {}): Promise<ResumeOutcome> {
    const stored: DownloadRecord[] = []
    for (const record of await this.records.all()) {
      if (record.status === 'cancelled') {
        await this.cancelStored(record)
      } else if (record.status !== 'paused') {
        stored.push(record)
      }
    }
    const settled = await Promise.allSettled(stored.map(async record => {
      const job = this.job({ contentId: record.contentId, name: record.name }, true)
      job.detach()
      return job.join(options)
    }))
    const outcome: ResumeOutcome = { completed: [], failed: [] }
    settled.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        outcome.completed.push(result.value)
      } else {
        outcome.failed.push({ contentId: stored[i].contentId, name: stored[i].name, error: result.reason?.message ?? String(result.reason), code: result.reason?.code })
      }
    })
    return outcome
  }

  /** A path to providers may have come back (a peer connected, a relay slot reserved): interrupted downloads try again. */
  pathsChanged (): void {
    this.autoResume?.pathsChanged()
  }

  /** Stops every running download, keeping their state for a resume at the next start, and waits until they have saved it. */
  async stop (): Promise<void> {
    this.autoResume?.stop()
    const jobs = [...this.jobs.values()]
    await Promise.all(jobs.map(async job => job.stop('interrupted')))
  }

  /** The running job of a content id, or a new one. */
  private job (request: DownloadRequest, detached: boolean): DownloadJob {
    if (!CONTENT_ID.test(request.contentId)) {
      throw new InvalidDownloadError(`"${request.contentId}" is not a content id (64 lowercase hex digits)`)
    }
    if (request.from?.length === 0) {
      throw new InvalidDownloadError('`from` names no peer to download from')
    }
    const running = this.jobs.get(request.contentId)
    if (running != null) {
      return running
    }
    const job = new DownloadJob(this.context, request, detached)
    this.jobs.set(request.contentId, job)
    job.result.finally(() => {
      if (this.jobs.get(request.contentId) === job) {
        this.jobs.delete(request.contentId)
      }
    }).catch(() => {})
    return job
  }

  /** Auto-resume's way in: only a download still interrupted and not running is started (pause and cancel win). */
  private async resumeInterrupted (contentId: string): Promise<boolean> {
    const record = await this.records.get(contentId)
    if (record?.status !== 'interrupted' || this.jobs.has(contentId)) {
      return false
    }
    this.start({ contentId, name: record.name })
    return true
  }

  private async select (selector: DownloadSelector, eligible: (entry: DownloadEntry) => boolean): Promise<DownloadEntry[]> {
    const entries = await this.list()
    return selectDownloads(entries, selector, eligible)
  }

  private async cancelStored (record: DownloadRecord): Promise<void> {
    const entry = storedEntry(record)
    await discardDownload(this.records, record)
    this.announce(await this.history.add({ contentId: entry.contentId, name: entry.name, size: entry.size, received: entry.received, status: 'cancelled' }))
  }

  private announce (entry: DownloadEntry): void {
    try {
      this.context.onStatus(entry)
    } catch (err) {
      this.context.log.error('a status listener threw - %e', err)
    }
  }
}

function change (entry: DownloadEntry, status: DownloadChange['status']): DownloadChange {
  return { contentId: entry.contentId, name: entry.name, status }
}

/** A download that does not run in this process, as `list` shows it. */
function storedEntry (record: DownloadRecord): DownloadEntry {
  const state = storedState(record)
  return {
    contentId: record.contentId,
    name: record.name,
    size: record.size,
    received: state.received,
    // A record left `active` belongs to a process that died: it is interrupted.
    status: record.status === 'active' ? 'interrupted' : record.status,
    providers: 0,
    bytesPerSecond: 0,
    ...(record.error == null ? {} : { error: record.error })
  }
}

/** What {@link DownloadManager.states} shows of a download that does not run in this process. */
function storedState (record: DownloadRecord): DownloadState {
  const pieces = recordPieces(record)
  return {
    contentId: record.contentId,
    name: record.name,
    size: record.size,
    received: piecesBytes(pieces, record.size, record.pieceSize),
    piecesDone: pieces.count,
    pieceCount: record.pieceCount,
    status: record.status === 'failed' ? 'failed' : 'interrupted',
    partPath: record.partPath,
    ...(record.error == null ? {} : { error: record.error })
  }
}
