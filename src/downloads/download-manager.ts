import { Budget } from './budget.ts'
import { CONTENT_ID, DEFAULT_TUNABLES } from './constants.ts'
import { DownloadJob } from './download-job.ts'
import { InvalidDownloadError } from './errors.ts'
import { DownloadRecords, piecesBytes, recordPieces } from './records.ts'
import type { DownloadJobContext } from './download-job.ts'
import type { DownloadRecord } from './records.ts'
import type { DownloadManagerInit, DownloadOptions, DownloadRequest, DownloadResult, DownloadState, DownloadTunables, ResumeOutcome } from './types.ts'

export type { DownloadManagerInit, DownloadOptions, DownloadProgress, DownloadRequest, DownloadResult, DownloadState, DownloadTunables } from './types.ts'

/**
 * The node's downloads: verified, multi-source, resumable. Each download
 * draws pieces from several providers at once, checks every piece against
 * the content id's manifest, writes to `<downloadDir>/<name>.part` and records
 * its progress in the store, so a stop or a crash loses nothing verified; a
 * complete file is renamed atomically to its final name. Downloads run a few
 * at a time, share one bound on the bytes in flight, and a second request for
 * a content id already downloading joins it.
 */
export class DownloadManager {
  readonly #context: DownloadJobContext
  readonly #records: DownloadRecords
  readonly #jobs = new Map<string, DownloadJob>()

  constructor (init: DownloadManagerInit) {
    const tunables = { ...DEFAULT_TUNABLES }
    for (const key of Object.keys(DEFAULT_TUNABLES) as Array<keyof DownloadTunables>) {
      tunables[key] = init[key] ?? tunables[key]
    }
    this.#records = new DownloadRecords(init.section)
    this.#context = {
      file: init.file,
      records: this.#records,
      downloadDir: init.downloadDir,
      providers: init.providers,
      bytesInFlight: new Budget(tunables.maxBytesInFlight),
      slots: new Budget(tunables.maxParallelDownloads),
      tunables,
      log: init.logger.forComponent('peerit:downloads')
    }
  }

  /**
   * Downloads a file, or resumes it if it was interrupted, or joins it if it
   * is running. Resolves when the file is complete under its final name.
   * Throws NoProvidersError (resumable), DiskFullError, DownloadWriteError,
   * InvalidDownloadError, or an AbortError when `signal` aborts.
   */
  async download (request: DownloadRequest, options: DownloadOptions = {}): Promise<DownloadResult> {
    if (!CONTENT_ID.test(request.contentId)) {
      throw new InvalidDownloadError(`"${request.contentId}" is not a content id (64 lowercase hex digits)`)
    }
    if (request.from?.length === 0) {
      throw new InvalidDownloadError('`from` names no peer to download from')
    }
    let job = this.#jobs.get(request.contentId)
    if (job == null) {
      const created = new DownloadJob(this.#context, request)
      this.#jobs.set(request.contentId, created)
      created.result.finally(() => {
        if (this.#jobs.get(request.contentId) === created) {
          this.#jobs.delete(request.contentId)
        }
      }).catch(() => {})
      job = created
    }
    return job.join(options)
  }

  /** Running and stored downloads: `active` ones run (or wait their turn) here; the others can be resumed. */
  async list (): Promise<DownloadState[]> {
    const states = new Map<string, DownloadState>()
    for (const record of await this.#records.all()) {
      states.set(record.contentId, storedState(record))
    }
    for (const [contentId, job] of this.#jobs) {
      states.set(contentId, job.state())
    }
    return [...states.values()]
  }

  /** Resumes every stored download (joining those already running); says which completed and which failed (those stay listed, resumable). */
  async resumeAll (options: DownloadOptions = {}): Promise<ResumeOutcome> {
    // Running ones are joined (download() joins a job of the same content id), so a
    // resume always answers for every download it knows.
    const stored = await this.#records.all()
    const settled = await Promise.allSettled(stored.map(async record => this.download({ contentId: record.contentId, name: record.name, from: record.from }, options)))
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

  /** Stops every running download, keeping their state for a resume, and waits until they have saved it. */
  async stop (): Promise<void> {
    const jobs = [...this.#jobs.values()]
    for (const job of jobs) {
      job.abort()
    }
    await Promise.allSettled(jobs.map(async job => job.result))
  }
}

/** What {@link DownloadManager.list} shows of a download that does not run in this process. */
function storedState (record: DownloadRecord): DownloadState {
  const pieces = recordPieces(record)
  return {
    contentId: record.contentId,
    name: record.name,
    size: record.size,
    received: piecesBytes(pieces, record.size, record.pieceSize),
    piecesDone: pieces.count,
    pieceCount: record.pieceCount,
    // A record left `active` belongs to a process that died: it is interrupted.
    status: record.status === 'failed' ? 'failed' : 'interrupted',
    partPath: record.partPath,
    ...(record.error == null ? {} : { error: record.error })
  }
}
