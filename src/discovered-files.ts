import { FileTable } from './discovered-files/file-table.ts'
import { IndexPersistence } from './discovered-files/persistence.ts'
import { RecordEncoder } from './discovered-files/record-codec.ts'
import { SegmentAppender, SegmentWriter } from './discovered-files/record-log.ts'
import { DEFAULT_INGEST_LIMITS, checkFile, checkProvider, filesOf } from './discovered-files/sanitize.ts'
import { WordIndex } from './discovered-files/word-index.ts'
import { compileQuery, extensionOf, normalizeText, wordsOf } from './search/index.ts'
import type { ProviderRecord } from '../protocols/fetch/index.ts'
import type { ProviderLink } from './discovered-files/file-table.ts'
import type { IngestLimits } from './discovered-files/sanitize.ts'
import type { FileKind, SearchQuery, TypeFilter } from './search/index.ts'
import type { Section } from './store.ts'
import type { ComponentLogger, Logger } from '@libp2p/interface'

export { DEFAULT_INGEST_LIMITS } from './discovered-files/sanitize.ts'
export type { IngestLimits } from './discovered-files/sanitize.ts'

/** A peer that has a file, as last reported. */
export interface Provider {
  peerId: string
  addresses: string[]
  /** When a fetch last reported this peer with this file, ms since the epoch. */
  lastSeen: number
}

/** A file learnt from the network, with the peers that have it. */
export interface DiscoveredFile {
  id: string
  name: string
  size: number
  /** The file's kind, worked out here from its name (a peer's own claim is not trusted). */
  type: FileKind
  providers: Provider[]
}

/** A discovered file as persisted (an entry of the record log, see discovered-files/record-log.ts). */
export interface DiscoveredFileRecord {
  name: string
  size: number
  providers: Provider[]
}

/** Options for {@link DiscoveredFiles}. */
export interface DiscoveredFilesInit extends Partial<IngestLimits> {
  files: Section<DiscoveredFileRecord>
  logger: ComponentLogger
  /** Providers not seen for this long are dropped by `ageOut()` (default 24 h). */
  providerMaxAgeMs?: number
  /** Providers kept per file; the least recently seen go first (default 64). */
  maxProvidersPerFile?: number
  /** Files kept in all; new ones past this are ignored until others age out (default 2,000,000). */
  maxFiles?: number
  /**
   * A file (beside the LevelDB store) for snapshots of the in-memory index,
   * so a reopen reads it in one go instead of every record; none when unset.
   */
  snapshotPath?: string
}

/** Default of {@link DiscoveredFilesInit.providerMaxAgeMs}. */
export const PROVIDER_MAX_AGE_MS = 24 * 60 * 60 * 1000

// Files per log segment (one LevelDB value, see record-log.ts): large enough to amortise, small enough to bound memory.
const WRITE_BATCH = 10_000
const DEFAULT_SEARCH_LIMIT = 1000
const MAX_COUNT = 0xffff
// Log entries allowed past twice the files before a rewrite: small stores are not rewritten after every fetch.
const LOG_SLACK = 1000

/**
 * What fetches brought back: every discovered file with its providers. The
 * files live in LevelDB; an in-memory word index over their names answers
 * searches (word and substring) without reading the disk. `open()` loads that
 * index from a snapshot file when LevelDB vouches for it and replays the log
 * written since (see IndexPersistence), and otherwise rebuilds it from the
 * records.
 */
export class DiscoveredFiles {
  private readonly log: Logger
  private readonly limits: IngestLimits
  private readonly providerMaxAgeMs: number
  private readonly maxProvidersPerFile: number
  private readonly maxFiles: number
  private readonly persistence: IndexPersistence
  private readonly encoder = new RecordEncoder()
  /** The files by ordinal (see FileTable); a removed file leaves a hole until the next compaction. */
  private table = new FileTable()
  private words = new WordIndex()
  private opened: 'snapshot' | 'records' = 'records'

  constructor (init: DiscoveredFilesInit) {
    this.log = init.logger.forComponent('peerit:discovered-files')
    this.limits = {
      maxFilesPerProvider: init.maxFilesPerProvider ?? DEFAULT_INGEST_LIMITS.maxFilesPerProvider,
      // The record format counts addresses and providers in 16 bits.
      maxAddressesPerProvider: Math.min(init.maxAddressesPerProvider ?? DEFAULT_INGEST_LIMITS.maxAddressesPerProvider, MAX_COUNT),
      maxNameLength: init.maxNameLength ?? DEFAULT_INGEST_LIMITS.maxNameLength
    }
    this.providerMaxAgeMs = init.providerMaxAgeMs ?? PROVIDER_MAX_AGE_MS
    this.maxProvidersPerFile = Math.min(init.maxProvidersPerFile ?? 64, MAX_COUNT)
    this.maxFiles = init.maxFiles ?? 2_000_000
    this.persistence = new IndexPersistence(init.files, init.snapshotPath)
  }

  /** Where the last `open()` found the index: the snapshot (and the log after it), or the records (a rebuild). */
  get openedFrom (): 'snapshot' | 'records' {
    return this.opened
  }

  /** How many files are known. */
  get size (): number {
    return this.table.size
  }

  /**
   * Loads the index from the snapshot LevelDB vouches for, replaying the log
   * written after it, or else (no snapshot, or a log segment after it
   * missing or damaged) rebuilds the index from every record.
   */
  async open (): Promise<void> {
    const started = Date.now()
    const loaded = await this.persistence.load()
    let reason = loaded.reason
    if (loaded.index !== undefined) {
      ({ table: this.table, words: this.words } = loaded.index)
      // Room for the log's files at once and no more: the snapshot's columns are full, and doubling them all cost ~200 MB at 1M files.
      const incoming = await this.persistence.entriesFrom(loaded.position ?? 0)
      this.words.reserve(incoming, this.table.ordinals)
      this.table.reserve(incoming, true)
      let replayed = 0
      reason = await this.persistence.replayFrom(loaded.position ?? 0, (id, record) => {
        this.apply(id, record)
        replayed++
      })
      if (reason === undefined) {
        this.words.prepare()
        this.opened = 'snapshot'
        this.log('opened %d discovered files from the snapshot and %d log entries after it in %d ms', this.table.size, replayed, Date.now() - started)
        return
      }
    }
    this.log('rebuilding the index from the records: %s', reason)
    await this.rebuild()
    this.opened = 'records'
    this.log('opened %d discovered files in %d ms', this.table.size, Date.now() - started)
  }

  /**
   * Writes a snapshot of the index if it changed since the last one, and
   * resolves with whether one now matches the records (not when the index
   * changed while it was written: the next call tries again). Without a
   * `snapshotPath` it does nothing and resolves false.
   */
  async saveSnapshot (): Promise<boolean> {
    return this.persistence.save({ table: this.table, words: this.words })
  }

  /** Waits for pending writes and saves a snapshot, so the next open is quick. */
  async close (): Promise<void> {
    await this.persistence.settled()
    await this.saveSnapshot()
  }

  /** Replays every record into a fresh index. */
  private async rebuild (): Promise<void> {
    this.table = new FileTable()
    this.words = new WordIndex()
    const damaged = await this.persistence.replay((id, record) => { this.apply(id, record) })
    if (damaged > 0) {
      this.log.error('skipped %d damaged discovered-file values', damaged)
    }
    if (this.table.ordinals > 2 * this.table.size + 1000) {
      this.compact()
    }
    this.words.freeze()
  }

  /**
   * Records what a fetch brought back: new files are added, known ones gain
   * or refresh their providers. Everything is checked and bounded first
   * (see {@link IngestLimits}); junk entries are skipped. Resolves with the
   * number of file entries accepted.
   */
  async ingest (records: ProviderRecord[], now: number = Date.now()): Promise<{ files: number }> {
    let accepted = 0
    const segments = this.appender()
    this.reserve(records)
    for (const record of records) {
      const provider = checkProvider(record, this.limits)
      if (provider === undefined) {
        this.log('ignoring a provider record with an invalid peer id')
        continue
      }
      const peer = this.table.peerNumber(provider.peerId, provider.addresses, now, true)
      const files = filesOf(record, this.limits)
      if (Array.isArray(record.files) && record.files.length > files.length) {
        this.log('%s reported %d files, keeping %d', provider.peerId, record.files.length, files.length)
      }
      for (const entry of files) {
        const file = checkFile(entry, this.limits)
        if (file === undefined) {
          continue
        }
        let ordinal = this.table.ids.getChecked(file.id)
        if (ordinal === undefined && this.table.size >= this.maxFiles) {
          continue
        }
        ordinal ??= this.addFile(file.id, file.name, file.size)
        this.table.link(ordinal, peer, now, this.maxProvidersPerFile)
        segments.put(this.table, ordinal)
        accepted++
        if (segments.full) {
          await segments.rotate()
        }
      }
    }
    await segments.finish()
    await this.compactLog()
    this.words.prepare()
    return { files: accepted }
  }

  /**
   * Files whose names hold every query word (as a word or a substring) and
   * pass the type filter, at most `limit` (default 1000), in index order:
   * the order of discovery (kept by a snapshot and by the log; only the
   * per-file records of an older store come back in content id order).
   * Throws InvalidTypeFilterError on a junk type.
   */
  async search (query: SearchQuery, options: { limit?: number } = {}): Promise<DiscoveredFile[]> {
    const compiled = compileQuery(query)
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT
    const found: DiscoveredFile[] = []
    const { table } = this
    const test = (ordinal: number): boolean =>
      table.has(ordinal) &&
      (compiled.filter === undefined || this.passesType(ordinal, compiled.filter)) &&
      compiled.words.every(word => table.normalizedName(ordinal).includes(word))
    const visit = (ordinal: number): boolean => {
      if (test(ordinal)) {
        found.push(this.view(ordinal))
      }
      return found.length < limit
    }
    for (const ordinal of this.words.candidates(compiled.words, table.ordinals) ?? this.scan(compiled.words, compiled.filter)) {
      if (!visit(ordinal)) {
        break
      }
    }
    return found
  }

  /** Known files in index order (as `search`), a page at a time (default: the first 1000). */
  async list (options: { limit?: number, offset?: number } = {}): Promise<DiscoveredFile[]> {
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT
    let skip = options.offset ?? 0
    const page: DiscoveredFile[] = []
    for (let ordinal = 0; ordinal < this.table.ordinals && page.length < limit; ordinal++) {
      if (this.table.has(ordinal) && skip-- <= 0) {
        page.push(this.view(ordinal))
      }
    }
    return page
  }

  /** The file with this content id, if known. */
  async get (contentId: string): Promise<DiscoveredFile | undefined> {
    const ordinal = this.table.ids.get(contentId)
    return ordinal === undefined ? undefined : this.view(ordinal)
  }

  /** Files whose id starts with `prefix` (case-insensitive hex), in id order, at most `limit` (default 20): more than one means ambiguous. */
  async byIdPrefix (prefix: string, options: { limit?: number } = {}): Promise<DiscoveredFile[]> {
    const hex = prefix.toLowerCase()
    if (!/^[0-9a-f]{1,64}$/.test(hex)) {
      return []
    }
    return this.table.ids.withPrefix(hex, options.limit ?? 20).map(ordinal => this.view(ordinal))
  }

  /** Files whose name equals `name` once both are normalised (case and accents ignored). */
  async byName (name: string): Promise<DiscoveredFile[]> {
    const wanted = normalizeText(name)
    const found: DiscoveredFile[] = []
    const words = wordsOf(wanted)
    for (const ordinal of this.words.candidates(words, this.table.ordinals) ?? this.scan(words)) {
      if (this.table.has(ordinal) && this.table.normalizedName(ordinal) === wanted) {
        found.push(this.view(ordinal))
      }
    }
    return found
  }

  /** Drops providers not seen for `providerMaxAgeMs`, and files left with none; resolves with the number of files dropped. */
  async ageOut (now: number = Date.now()): Promise<number> {
    const cutoff = now - this.providerMaxAgeMs
    const segments = this.appender()
    let dropped = 0
    const { table } = this
    for (let ordinal = 0; ordinal < table.ordinals; ordinal++) {
      const providers = table.providers(ordinal)
      if (!table.has(ordinal) || providers.every(provider => provider.lastSeen >= cutoff)) {
        continue
      }
      const kept = providers.filter(provider => provider.lastSeen >= cutoff)
      const id = table.ids.idAt(ordinal)
      if (kept.length === 0) {
        table.delete(ordinal)
        segments.remove(id)
        dropped++
      } else {
        table.setProviders(ordinal, kept)
        segments.put(table, ordinal)
      }
      if (segments.full) {
        await segments.rotate()
      }
    }
    table.dropPeersBefore(cutoff)
    await segments.finish()
    if (table.ordinals > 2 * table.size + 1000) {
      this.compact()
    }
    await this.compactLog()
    this.log('aged out %d files', dropped)
    return dropped
  }

  /**
   * Every file that may match when the word index does not narrow it down:
   * those of the wanted type (a typed-array loop; the query words, too
   * common for the index, then match most of them), else those whose name
   * holds the longest query word (a scan of the names' bytes).
   */
  private scan (queryWords: string[], filter?: TypeFilter): Iterable<number> {
    if (filter !== undefined) {
      return this.table.ofType(filter)
    }
    const longest = queryWords.reduce((best, word) => word.length > best.length ? word : best, '')
    return longest === '' ? everyOrdinal(this.table.ordinals) : this.table.normalizedContaining(longest)
  }

  /** Replays one persisted entry: a file's record replaces what an earlier one said; undefined removes it. */
  private apply (id: string, record: DiscoveredFileRecord | undefined): void {
    if (!CONTENT_ID.test(id)) {
      return
    }
    let ordinal = this.table.ids.getChecked(id)
    if (record === undefined) {
      if (ordinal !== undefined) {
        this.table.delete(ordinal)
      }
      return
    }
    if (typeof record.name !== 'string' || !Number.isSafeInteger(record.size) || !Array.isArray(record.providers)) {
      return
    }
    ordinal ??= this.addFile(id, record.name, record.size)
    // The addresses seen last win: older records may hold stale ones.
    this.table.setProviders(ordinal, record.providers.map(({ peerId, addresses, lastSeen }) =>
      ({ peer: this.table.peerNumber(peerId, addresses, lastSeen, false), lastSeen })))
  }

  /** Room in the table and index for the files of `records`, at most up to `maxFiles`. */
  private reserve (records: ProviderRecord[]): void {
    let incoming = 0
    for (const record of records) {
      incoming += Array.isArray(record?.files) ? Math.min(record.files.length, this.limits.maxFilesPerProvider) : 0
    }
    incoming = Math.min(incoming, Math.max(0, this.maxFiles - this.table.size))
    this.words.reserve(incoming, this.table.ordinals)
    this.table.reserve(incoming)
  }

  /** Segments of changes, appended to the log as they fill. */
  private appender (): SegmentAppender {
    return new SegmentAppender(this.encoder, async segment => { await this.persistence.append(segment) }, WRITE_BATCH)
  }

  /**
   * Rewrites the log once it holds more than twice as many entries as there
   * are files (each re-fetch of a file appends one), so it stays within a
   * small multiple of the files' size.
   */
  private async compactLog (): Promise<void> {
    const { table, encoder } = this
    if (this.persistence.logEntries <= 2 * table.size + LOG_SLACK) {
      return
    }
    const started = Date.now()
    const generation = table.generation
    this.log('rewriting the discovered-file log: %d entries for %d files', this.persistence.logEntries, table.size)
    await this.persistence.rewrite((function * () {
      let segment = new SegmentWriter(encoder)
      for (let ordinal = 0; ordinal < table.ordinals; ordinal++) {
        // A renumbering (compact) while this runs would skip or repeat files: give up, the next pass tries again.
        if (table.generation !== generation) {
          throw new Error('the file table was renumbered during the log rewrite')
        }
        if (table.has(ordinal)) {
          segment.put(table, ordinal)
        }
        if (segment.entries >= WRITE_BATCH) {
          yield segment
          segment = new SegmentWriter(encoder)
        }
      }
      yield segment
    })())
    this.log('rewrote the discovered-file log: %d files in %d ms', table.size, Date.now() - started)
    // The rewrite retired the snapshot (its log position is gone): a new one, so a crash costs no rebuild.
    this.saveSnapshot().catch((err: Error) => { this.log.error('saving a snapshot after the log rewrite failed - %e', err) })
  }

  private addFile (id: string, name: string, size: number): number {
    const normalized = normalizeText(name)
    const ordinal = this.table.add(id, name, normalized, size, extensionOf(name))
    this.words.addName(ordinal, normalized)
    return ordinal
  }

  private passesType (ordinal: number, filter: TypeFilter): boolean {
    return 'kind' in filter ? this.table.kind(ordinal) === filter.kind : this.table.extension(ordinal) === filter.extension
  }

  /** A file's providers (copies: callers may change them). */
  private providersOf (ordinal: number): Provider[] {
    const providers: Provider[] = []
    for (const { peer, lastSeen } of this.table.providers(ordinal)) {
      const known = this.table.peer(peer)
      if (known !== undefined) {
        providers.push({ peerId: known.peerId, addresses: [...known.addresses], lastSeen })
      }
    }
    return providers
  }

  private view (ordinal: number): DiscoveredFile {
    const { table } = this
    return { id: table.ids.idAt(ordinal), name: table.name(ordinal), size: table.fileSize(ordinal), type: table.kind(ordinal), providers: this.providersOf(ordinal) }
  }

  /** Renumbers the live files so holes left by ageOut stop costing memory and search time. */
  private compact (): void {
    const { table } = this
    const live: Array<{ id: string, name: string, size: number, providers: ProviderLink[] }> = []
    for (let ordinal = 0; ordinal < table.ordinals; ordinal++) {
      if (table.has(ordinal)) {
        live.push({ id: table.ids.idAt(ordinal), name: table.name(ordinal), size: table.fileSize(ordinal), providers: table.providers(ordinal) })
      }
    }
    table.clearFiles()
    this.words.clear()
    for (const file of live) {
      table.setProviders(this.addFile(file.id, file.name, file.size), file.providers)
    }
    this.words.freeze()
  }
}

function * everyOrdinal (count: number): Generator<number> {
  for (let ordinal = 0; ordinal < count; ordinal++) {
    yield ordinal
  }
}

const CONTENT_ID = /^[0-9a-f]{64}$/
