import { loadIndex, saveIndex } from './index-snapshot.ts'
import { decodeRecord } from './record-codec.ts'
import { readSegment, segmentEntries } from './record-log.ts'
import { snapshotToken } from './snapshot.ts'
import type { DiscoveredFileRecord } from '../discovered-files.ts'
import type { Section } from '../store.ts'
import type { DiscoveredIndex } from './index-snapshot.ts'
import type { SegmentWriter } from './record-log.ts'
import type { BatchOptions } from 'level'

// The section's key for the snapshot's mark (see SnapshotMark); not a content id, so never a file.
const SNAPSHOT_TOKEN_KEY = '~snapshot'
// classic-level's fsync'ed write (sublevels pass it on): the mark's put and delete must outlast a power cut
// (a sync'ed write also makes every LevelDB write before it durable: the segments the snapshot holds).
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
 * What LevelDB keeps for the snapshot it vouches for: the snapshot's token,
 * and the sequence number of the first log segment written after it, so the
 * segments from there on are what happened since. Stores before this kept
 * the token alone (a string), deleted by the first write after its snapshot:
 * such a token matches the whole log (its position is the log's end).
 */
interface SnapshotMark {
  token: string
  position: number
}

/** The mark a stored value holds, if any: an old store's bare token matches the log up to `logEnd`. */
function markOf (value: unknown, logEnd: number): SnapshotMark | undefined {
  if (typeof value === 'string') {
    return { token: value, position: logEnd }
  }
  const mark = value as Partial<SnapshotMark> | undefined
  if (typeof mark?.token === 'string' && Number.isSafeInteger(mark.position) && (mark.position as number) >= 0) {
    return { token: mark.token, position: mark.position as number }
  }
  return undefined
}

/**
 * Keeps the snapshot file and the LevelDB records in agreement. LevelDB holds
 * the mark of the one snapshot it vouches for: its token, and the log
 * position it matches (the first segment written after it). A mark is put
 * only once a snapshot is on disk whole and nothing changed while it was
 * written; later segments leave it alone, so a reopen loads the snapshot and
 * replays the segments from that position (each entry is a file's whole
 * state or its removal, so an entry the snapshot already holds changes
 * nothing). A log rewrite deletes the segments a mark points into, and so
 * retires the mark first. A crash at any point costs at most a rebuild,
 * never a file lost or invented.
 */
export class IndexPersistence {
  private readonly section: Section<DiscoveredFileRecord>
  private readonly snapshotPath?: string
  /** The token of the snapshot LevelDB vouches for; undefined when there is none. */
  private savedToken?: string
  /** The index version that snapshot holds: while the index has it, there is nothing new to save. */
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
   * The index from the snapshot when LevelDB vouches for it, with the log
   * position to replay from ({@link replayFrom}); else undefined (with why,
   * for the log), and the mark is retired: whatever kept that snapshot from
   * loading, it must never load once the records move on.
   */
  async load (): Promise<{ index?: DiscoveredIndex, position?: number, reason?: string }> {
    await this.readLogState()
    const stored = await this.tokens().get(SNAPSHOT_TOKEN_KEY) as unknown
    const mark = markOf(stored, this.nextSegment)
    if (this.snapshotPath !== undefined && mark !== undefined) {
      try {
        if (mark.position > this.nextSegment) {
          throw new Error(`the snapshot matches log segment ${mark.position}, past the log's end (${this.nextSegment})`)
        }
        const index = await loadIndex(this.snapshotPath, mark.token)
        if (typeof stored === 'string') {
          // An older store's bare token, which writes from now on would leave alone: pin its position first.
          await this.tokens().put(SNAPSHOT_TOKEN_KEY, mark as any, DURABLE)
        }
        this.savedToken = mark.token
        this.savedVersion = index.table.version
        return { index, position: mark.position }
      } catch (err: any) {
        await this.retire()
        return { reason: err.message }
      }
    }
    if (stored !== undefined) {
      await this.retire()
    }
    return { reason: this.snapshotPath === undefined ? 'no snapshot file configured' : 'no snapshot matches the records' }
  }

  /** How many entries the log holds from segment `position` on (as their segments say; a damaged one counts as it claims). */
  async entriesFrom (position: number): Promise<number> {
    let entries = 0
    for await (const [, segment] of this.segmentsFrom(position)) {
      entries += segmentEntries(segment)
    }
    return entries
  }

  /**
   * Calls `visit` with every entry of the log from segment `position` on, in
   * order. Resolves with why they cannot be trusted, having visited some: a
   * segment missing (a gap in the sequence) or damaged, so the caller must
   * rebuild from every record instead (and the mark is retired); else
   * undefined.
   */
  async replayFrom (position: number, visit: (id: string, record: DiscoveredFileRecord | undefined) => void): Promise<string | undefined> {
    let unusable: string | undefined
    let expected = position
    for await (const [key, segment] of this.segmentsFrom(position)) {
      if (key !== logKey(expected)) {
        unusable = `log segment ${expected} is missing`
      } else if (!readSegment(segment, visit)) {
        unusable = `log segment ${expected} is damaged`
      }
      if (unusable !== undefined) {
        break
      }
      expected++
    }
    if (unusable !== undefined) {
      await this.retire()
    }
    return unusable
  }

  /**
   * Writes a snapshot of `index` unless the last one still matches, and
   * resolves with whether one now does (false when the index changed while
   * it was written: the next call tries again, or when no path is set). A
   * call while a save runs waits for it, then saves again if it is stale.
   */
  async save (index: DiscoveredIndex): Promise<boolean> {
    if (this.snapshotPath === undefined) {
      return false
    }
    if (this.savedToken !== undefined && this.savedVersion === index.table.version) {
      return true
    }
    if (this.saving !== undefined) {
      // One already running took the index as it was when it began: wait for it, then look again.
      await this.saving.catch(() => {})
      return this.save(index)
    }
    this.saving = this.writeSnapshot(this.snapshotPath, index).finally(() => { this.saving = undefined })
    return this.saving
  }

  /** Entries in the log: when far more than the files, {@link rewrite} it. */
  get logEntries (): number {
    return this.entries
  }

  /** Appends a segment after those before it. */
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
   * `segments` throws, nothing is deleted. The snapshot's mark points into
   * the old segments (whose removals the new ones do not repeat), so it is
   * retired before they go: save a new snapshot after this.
   */
  async rewrite (segments: Iterable<SegmentWriter>): Promise<void> {
    await this.serially(async () => {
      const first = this.nextSegment
      let total = 0
      for (const segment of segments) {
        total += segment.entries
        await this.writeSegment(segment, this.entries + segment.entries)
      }
      await this.retireNow()
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
    for await (const [, segment] of this.segmentsFrom(0)) {
      if (!readSegment(segment, visit)) {
        damaged++
      }
    }
    return damaged
  }

  /** The log's segments (key and encoded value) from `position` on, in order, one read at a time: each holds thousands of files. */
  private async * segmentsFrom (position: number): AsyncGenerator<[string, Buffer]> {
    const section = this.section as unknown as Section<Buffer>
    const log = section.iterator({ gte: logKey(position), lt: LOG_END, valueEncoding: 'buffer' })
    try {
      for (let entries = await log.nextv(1); entries.length > 0; entries = await log.nextv(1)) {
        yield entries[0]
      }
    } finally {
      await log.close()
    }
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
      // Every segment asked for before the snapshot was taken is written by now (writes run in order).
      const mark: SnapshotMark = { token, position: this.nextSegment }
      await this.tokens().put(SNAPSHOT_TOKEN_KEY, mark as any, DURABLE)
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

  /** Puts a segment and the log's new entry count. */
  private async writeSegment (segment: SegmentWriter, entries: number): Promise<void> {
    if (segment.entries === 0) {
      return
    }
    await this.section.batch([
      { type: 'put', key: logKey(this.nextSegment), value: segment.bytes(), ...BINARY },
      { type: 'put', key: LOG_ENTRIES_KEY, value: entries }
    ] as any)
    this.nextSegment++
    this.entries = entries
  }

  /** Deletes the mark, in turn with the writes asked for before. */
  private async retire (): Promise<void> {
    await this.serially(async () => { await this.retireNow() })
  }

  /** Deletes the mark now (inside a serial task): no snapshot is vouched for until the next save. */
  private async retireNow (): Promise<void> {
    this.savedToken = undefined
    await this.tokens().del(SNAPSHOT_TOKEN_KEY, DURABLE)
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
