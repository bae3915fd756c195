import { loadIndex, saveIndex } from './index-snapshot.ts'
import { snapshotToken } from './snapshot.ts'
import type { DiscoveredFileRecord } from '../discovered-files.ts'
import type { Section } from '../store.ts'
import type { DiscoveredIndex } from './index-snapshot.ts'
import type { BatchOptions } from 'level'

/**
 * LevelDB writes of the discovered-file section, in order: an encoded record
 * (see record-codec.ts) by content id, or a delete. Two arrays, not an object
 * per write: a million-file ingest made a million of those.
 */
export class RecordWrites {
  readonly keys: string[] = []
  readonly values: Array<Buffer | undefined> = []

  get length (): number {
    return this.keys.length
  }

  put (key: string, value: Buffer): void {
    this.keys.push(key)
    this.values.push(value)
  }

  del (key: string): void {
    this.keys.push(key)
    this.values.push(undefined)
  }
}

// The section's key for the token of the snapshot that matches the records; not a content id, so never a file.
const SNAPSHOT_TOKEN_KEY = '~snapshot'
// classic-level's fsync'ed write (sublevels pass it on): the token's put and delete must outlast a power cut.
const DURABLE: BatchOptions<string, unknown> = { sync: true }
// Record values are encoded already: the section's JSON encoding must leave them alone.
const BINARY = { valueEncoding: 'buffer' } as const

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

  /** Writes a batch after those before it; the first after a snapshot also deletes its token. */
  async write (writes: RecordWrites): Promise<void> {
    if (writes.length === 0) {
      return
    }
    await this.serially(async () => {
      // A chained batch needs the section open (an array batch would wait for it).
      if (this.section.status !== 'open') {
        await this.section.open()
      }
      // A chained batch hands each write to LevelDB as it comes: no array of operations to copy and re-encode.
      const batch = this.section.batch()
      const retiring = this.savedToken !== undefined
      if (retiring) {
        batch.del(SNAPSHOT_TOKEN_KEY)
      }
      const { keys, values } = writes
      for (let index = 0; index < keys.length; index++) {
        const value = values[index]
        if (value === undefined) {
          batch.del(keys[index])
        } else {
          batch.put(keys[index], value as any, BINARY)
        }
      }
      this.savedToken = undefined
      await batch.write(retiring ? DURABLE : {})
    })
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
