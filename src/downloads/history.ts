import type { DownloadRecords, HistoryRecord } from './records.ts'
import type { DownloadEntry } from './types.ts'

/** Finished downloads kept for `downloads`: the last this many, until cleared. */
export const MAX_HISTORY = 1000

/**
 * The completed and cancelled downloads, newest first, loaded from the store
 * once and kept in memory. A content id appears at most once: a newer entry
 * (or a new download of it) replaces the older one, so a list keyed by
 * content id (the web UI's) never sees two rows for one file.
 */
export class DownloadHistory {
  private readonly records: DownloadRecords
  private entries?: Promise<HistoryRecord[]>
  // Changes run one at a time, so two finishing downloads never drop each other's entry.
  private chain: Promise<unknown> = Promise.resolve()

  constructor (records: DownloadRecords) {
    this.records = records
  }

  /** The entries, newest first. */
  async list (): Promise<DownloadEntry[]> {
    return (await this.load()).map(toEntry)
  }

  /** Adds an entry, dropping an older one of the same content id and the oldest past {@link MAX_HISTORY}. */
  async add (entry: Omit<HistoryRecord, 'finishedAt'>): Promise<DownloadEntry> {
    return this.serial(async () => {
      const entries = await this.load()
      const record: HistoryRecord = { ...entry, finishedAt: Math.max(Date.now(), (entries[0]?.finishedAt ?? 0) + 1) }
      const dropped = entries.filter(e => e.contentId === record.contentId)
      const kept = entries.filter(e => e.contentId !== record.contentId)
      kept.unshift(record)
      dropped.push(...kept.splice(MAX_HISTORY))
      this.entries = Promise.resolve(kept)
      await this.records.putHistory(record)
      if (dropped.length > 0) {
        await this.records.deleteHistory(dropped)
      }
      return toEntry(record)
    })
  }

  /** Forgets the entry of a content id (it is being downloaded again). */
  async forget (contentId: string): Promise<void> {
    await this.serial(async () => {
      const entries = await this.load()
      const dropped = entries.filter(e => e.contentId === contentId)
      if (dropped.length > 0) {
        this.entries = Promise.resolve(entries.filter(e => e.contentId !== contentId))
        await this.records.deleteHistory(dropped)
      }
    })
  }

  /** Forgets every entry. */
  async clear (): Promise<void> {
    await this.serial(async () => {
      const entries = await this.load()
      this.entries = Promise.resolve([])
      await this.records.deleteHistory(entries)
    })
  }

  private async serial<T> (change: () => Promise<T>): Promise<T> {
    const next = this.chain.then(change)
    this.chain = next.catch(() => {})
    return next
  }

  private async load (): Promise<HistoryRecord[]> {
    this.entries ??= this.records.history().then(entries => entries.reverse())
    return this.entries
  }
}

function toEntry (record: HistoryRecord): DownloadEntry {
  return {
    contentId: record.contentId,
    name: record.name,
    size: record.size,
    received: record.received,
    status: record.status,
    providers: 0,
    bytesPerSecond: 0,
    ...(record.path == null ? {} : { path: record.path })
  }
}
