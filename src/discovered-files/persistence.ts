import { loadIndex, saveIndex } from './index-snapshot.ts'
import { decodeRecord } from './record-codec.ts'
import { readSegment } from './record-log.ts'
import { snapshotToken } from './snapshot.ts'
import type { DiscoveredFileRecord } from '../discovered-files.ts'
import type { Section } from '../store.ts'
import type { DiscoveredIndex } from './index-snapshot.ts'
import type { SegmentWriter } from './record-log.ts'
import type { BatchOptions } from 'level'

// The section's key for the token of the snapshot that matches the records; not a content id, so never a file.
const SNAPSHOT_TOKEN_KEY = '~snapshot'
// classic-level's fsync'ed write (sublevels pass it on): the token's put and delete must outlast a power cut.
const DURABLE: BatchOptions<string, unknown> = { sync: true }
// Segments are encoded already: the section's JSON encoding must leave them alone.
const BINARY = { valueEncoding: 'buffer' } as const
// Keys of the log's segments (see record-log.ts): this prefix and the sequence number in 12 hex digits, so key order is log order.
const LOG_PREFIX = '~log~'
const LOG_END = '~log~~'
// How many entries the log holds (a number), put in the same batch as each segment.
const LOG_ENTRIES_KEY = '~log-entries'
// Stores written before the log hold one JSON record per file, keyed by content id: every such key sorts below '~'.
const PER_FILE_END = '~'
const DELETES_PER_BATCH = 10_000

const logKey = (sequence: number): string => LOG_PREFIX + sequence.toString(16).padStart(12, '0')

/**
 * Keeps the snapshot file and the LevelDB records in agreement. LevelDB holds
 * the token of the one snapshot that matches the records; the first write
 * after that snapshot deletes the token in the same (atomic) batch, and a new
 * token is put only once a new snapshot is on disk whole and nothing changed
 * while it was written. So a snapshot is never used once the records moved
 * on, and a crash at any point costs a rebuild, never a file lost or invented.
 */
export class IndexPersistence {
  private readonly section: Section<DiscoveredFileRecord>
  private readonly snapshotPath?: string
  /** The token LevelDB holds while the latest snapshot matches the records; undefined once they changed. */
  private savedToken?: string
  /** The index version that snapshot holds. */
  private savedVersion = 0
  /** LevelDB writes, one at a time in call order, so the token's put and delete never overtake a batch. */
  private writes: Promise<unknown> = Promise.resolve()
  private saving?: Promise<boolean>
  /** The sequence number of the next segment, and how many entries the log holds (both read by load()). */
  private nextSegment = 0
  private entries = 0

  constructor (section: Section<DiscoveredFileRecord>, snapshotPath?: string) {
    this.section = section
    this.snapshotPath = snapshotPath
  }

  /**
   * The index from the snapshot when LevelDB vouches for it; else undefined
   * (with why, for the log), and the token is retired: whatever kept that
   * snapshot from loading, it must never load once the records move on.
   */
  async load (): Promise<{ index?: DiscoveredIndex, reason?: string }> {
    await this.readLogState()
    const token = await this.tokens().get(SNAPSHOT_TOKEN_KEY)
    if (this.snapshotPath !== undefined && typeof token === 'string') {
      try {
        const index = await loadIndex(this.snapshotPath, token)
        this.savedToken = token
        this.savedVersion = index.table.version
        return { index }
      } catch (err: any) {
        await this.tokens().del(SNAPSHOT_TOKEN_KEY)
        return { reason: err.message }
      }
    }
    if (token !== undefined) {
      await this.tokens().del(SNAPSHOT_TOKEN_KEY)
    }
    return { reason: this.snapshotPath === undefined ? 'no snapshot file configured' : 'no snapshot matches the records' }
  }

  /**
   * Writes a snapshot of `index` unless the last one still matches, and
   * resolves with whether one now does (false when the index changed while
   * it was written: the next call tries again, or when no path is set).
   */
  async save (index: DiscoveredIndex): Promise<boolean> {
    if (this.snapshotPath === undefined) {
      return false
    }
    if (this.savedToken !== undefined && this.savedVersion === index.table.version) {
      return true
    }
    this.saving ??= this.writeSnapshot(this.snapshotPath, index).finally(() => { this.saving = undefined })
    return this.saving
  }

  /** Entries in the log: when far more than the files, {@link rewrite} it. */
  get logEntries (): number {
    return this.entries
  }

  /** Appends a segment after those before it; the first write after a snapshot also deletes its token. */
  async append (segment: SegmentWriter): Promise<void> {
    if (segment.entries === 0) {
      return
    }
    await this.serially(async () => { await this.writeSegment(segment, this.entries + segment.entries) })
  }

  /**
   * Replaces the whole log (and any per-file records of an older store) by
   * `segments`, which must hold every file. The new segments are written
   * first, after the old ones, and only then are the old ones deleted: a
   * crash in between leaves both, whose replay gives the same files. If
   * `segments` throws, nothing is deleted.
   */
  async rewrite (segments: Iterable<SegmentWriter>): Promise<void> {
    await this.serially(async () => {
      const first = this.nextSegment
      let total = 0
      for (const segment of segments) {
        total += segment.entries
        await this.writeSegment(segment, this.entries + segment.entries)
      }
      const old = [
        this.section.keys({ lt: PER_FILE_END }),
        this.section.keys({ gte: LOG_PREFIX, lt: logKey(first) })
      ]
      for (const keys of old) {
        for (let batch = await keys.nextv(DELETES_PER_BATCH); batch.length > 0; batch = await keys.nextv(DELETES_PER_BATCH)) {
          await this.section.batch(batch.map(key => ({ type: 'del', key })))
        }
        await keys.close()
      }
      await this.section.put(LOG_ENTRIES_KEY, total as any)
      this.entries = total
    })
  }

  /**
   * Calls `visit` with every file entry LevelDB holds, oldest first: the
   * per-file records of an older store, then the log's entries in order (a
   * removal as undefined). A damaged value is skipped; resolves with how many were.
   */
  async replay (visit: (id: string, record: DiscoveredFileRecord | undefined) => void): Promise<number> {
    let damaged = 0
    // Values raw: the JSON of per-file records is decoded here, and segments are binary.
    const section = this.section as unknown as Section<Buffer>
    const perFile = section.iterator({ lt: PER_FILE_END, valueEncoding: 'buffer' })
    try {
      for (let entries = await perFile.nextv(1000); entries.length > 0; entries = await perFile.nextv(1000)) {
        for (const [id, value] of entries) {
          const record = decodeRecord(value)
          if (record === undefined) {
            damaged++
          } else {
            visit(id, record)
          }
        }
      }
    } finally {
      await perFile.close()
    }
    // One segment at a time: each holds thousands of files.
    const log = section.iterator({ gte: LOG_PREFIX, lt: LOG_END, valueEncoding: 'buffer' })
    try {
      for (let entries = await log.nextv(1); entries.length > 0; entries = await log.nextv(1)) {
        if (!readSegment(entries[0][1], visit)) {
          damaged++
        }
      }
    } finally {
      await log.close()
    }
    return damaged
  }

  /** Resolves once every write asked for so far is done. */
  async settled (): Promise<void> {
    await this.writes
  }

  private async writeSnapshot (path: string, index: DiscoveredIndex): Promise<boolean> {
    const version = index.table.version
    const token = snapshotToken()
    await saveIndex(path, token, index)
    return this.serially(async () => {
      // A change while the file was written may have torn it: no token for it, try again later.
      if (index.table.version !== version) {
        return false
      }
      await this.tokens().put(SNAPSHOT_TOKEN_KEY, token, DURABLE)
      this.savedToken = token
      this.savedVersion = version
      return true
    })
  }

  private async readLogState (): Promise<void> {
    const last = await this.section.keys({ gte: LOG_PREFIX, lt: LOG_END, reverse: true, limit: 1 }).all()
    this.nextSegment = last.length === 0 ? 0 : parseInt(last[0].slice(LOG_PREFIX.length), 16) + 1
    const entries = await this.tokens().get(LOG_ENTRIES_KEY) as unknown
    this.entries = typeof entries === 'number' ? entries : 0
  }

  /** Puts a segment and the log's new entry count, deleting the snapshot's token in the same batch when there is one. */
  private async writeSegment (segment: SegmentWriter, entries: number): Promise<void> {
    if (segment.entries === 0) {
      return
    }
    const retiring = this.savedToken !== undefined
    const operations: Array<{ type: 'put' | 'del', key: string, value?: unknown, valueEncoding?: 'buffer' }> = []
    if (retiring) {
      operations.push({ type: 'del', key: SNAPSHOT_TOKEN_KEY })
    }
    operations.push({ type: 'put', key: logKey(this.nextSegment), value: segment.bytes(), ...BINARY }, { type: 'put', key: LOG_ENTRIES_KEY, value: entries })
    this.savedToken = undefined
    await this.section.batch(operations as any, retiring ? DURABLE : {})
    this.nextSegment++
    this.entries = entries
  }

  private async serially<T> (task: () => Promise<T>): Promise<T> {
    const run = this.writes.then(task)
    this.writes = run.catch(() => {})
    return run
  }

  /** The section as the token's key sees it: a string value, not a record. */
  private tokens (): Section<string> {
    return this.section as unknown as Section<string>
  }
}
