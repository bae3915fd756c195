import type { ProviderRecord } from '../protocols/fetch/index.ts'
import { DEFAULT_INGEST_LIMITS, checkFile, checkProvider, filesOf } from './discovered-files/sanitize.ts'
import type { IngestLimits } from './discovered-files/sanitize.ts'
import { WordIndex } from './discovered-files/word-index.ts'
import { compileQuery, extensionOf, fileKindOf, normalizeText, wordsOf } from './search/index.ts'
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

/** A discovered file as persisted, keyed by its content id. */
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
}

/** Default of {@link DiscoveredFilesInit.providerMaxAgeMs}. */
export const PROVIDER_MAX_AGE_MS = 24 * 60 * 60 * 1000

interface Peer {
  peerId: string
  addresses: string[]
  lastSeen: number
}

interface Slot {
  id: string
  name: string
  /** The name as search sees it (see normalizeText). */
  normalized: string
  size: number
  kind: FileKind
  extension: string
  providers: Array<{ peer: Peer, lastSeen: number }>
}

// Puts per LevelDB batch while ingesting: large enough to amortise, small enough to bound memory.
const WRITE_BATCH = 10_000
const DEFAULT_SEARCH_LIMIT = 1000

/**
 * What fetches brought back: every discovered file with its providers. The
 * files live in LevelDB; an in-memory word index over their names, rebuilt at
 * `open()`, answers searches (word and substring) without reading the disk.
 */
export class DiscoveredFiles {
  private readonly section: Section<DiscoveredFileRecord>
  private readonly log: Logger
  private readonly limits: IngestLimits
  private readonly providerMaxAgeMs: number
  private readonly maxProvidersPerFile: number
  private readonly maxFiles: number
  private readonly peers = new Map<string, Peer>()
  private readonly ordinals = new Map<string, number>()
  private readonly words = new WordIndex()
  /** By ordinal; a removed file leaves a hole until the next compaction. */
  private slots: Array<Slot | undefined> = []

  constructor (init: DiscoveredFilesInit) {
    this.section = init.files
    this.log = init.logger.forComponent('peerit:discovered-files')
    this.limits = {
      maxFilesPerProvider: init.maxFilesPerProvider ?? DEFAULT_INGEST_LIMITS.maxFilesPerProvider,
      maxAddressesPerProvider: init.maxAddressesPerProvider ?? DEFAULT_INGEST_LIMITS.maxAddressesPerProvider,
      maxNameLength: init.maxNameLength ?? DEFAULT_INGEST_LIMITS.maxNameLength
    }
    this.providerMaxAgeMs = init.providerMaxAgeMs ?? PROVIDER_MAX_AGE_MS
    this.maxProvidersPerFile = init.maxProvidersPerFile ?? 64
    this.maxFiles = init.maxFiles ?? 2_000_000
  }

  /** How many files are known. */
  get size (): number {
    return this.ordinals.size
  }

  /** Loads the persisted files and builds the word index. */
  async open (): Promise<void> {
    const started = Date.now()
    // nextv() reads entries a thousand at a time: a promise per entry would double the time.
    const iterator = this.section.iterator()
    try {
      for (let entries = await iterator.nextv(1000); entries.length > 0; entries = await iterator.nextv(1000)) {
        for (const [id, record] of entries) {
          this.load(id, record)
        }
      }
    } finally {
      await iterator.close()
    }
    this.words.prepare()
    this.log('opened %d discovered files in %d ms', this.ordinals.size, Date.now() - started)
  }

  /**
   * Records what a fetch brought back: new files are added, known ones gain
   * or refresh their providers. Everything is checked and bounded first
   * (see {@link IngestLimits}); junk entries are skipped. Resolves with the
   * number of file entries accepted.
   */
  async ingest (records: ProviderRecord[], now: number = Date.now()): Promise<{ files: number }> {
    let accepted = 0
    let writes: Array<{ type: 'put', key: string, value: DiscoveredFileRecord }> = []
    for (const record of records) {
      const provider = checkProvider(record, this.limits)
      if (provider === undefined) {
        this.log('ignoring a provider record with an invalid peer id')
        continue
      }
      const peer = this.peer(provider.peerId, provider.addresses, now, true)
      const files = filesOf(record, this.limits)
      if (Array.isArray(record.files) && record.files.length > files.length) {
        this.log('%s reported %d files, keeping %d', peer.peerId, record.files.length, files.length)
      }
      for (const entry of files) {
        const file = checkFile(entry, this.limits)
        if (file === undefined) {
          continue
        }
        const ordinal = this.ordinals.get(file.id)
        if (ordinal === undefined && this.ordinals.size >= this.maxFiles) {
          continue
        }
        const slot = ordinal === undefined ? this.addSlot(file.id, file.name, file.size) : this.slots[ordinal]
        if (slot === undefined) {
          continue
        }
        this.seen(slot, peer, now)
        writes.push({ type: 'put', key: slot.id, value: recordOf(slot) })
        accepted++
        if (writes.length >= WRITE_BATCH) {
          await this.section.batch(writes)
          writes = []
        }
      }
    }
    await this.section.batch(writes)
    this.words.prepare()
    return { files: accepted }
  }

  /**
   * Files whose names hold every query word (as a word or a substring) and
   * pass the type filter, at most `limit` (default 1000), in index order:
   * the order of discovery, which a reopen turns into content id order.
   * Throws InvalidTypeFilterError on a junk type.
   */
  async search (query: SearchQuery, options: { limit?: number } = {}): Promise<DiscoveredFile[]> {
    const compiled = compileQuery(query)
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT
    const found: DiscoveredFile[] = []
    const test = (slot: Slot): boolean =>
      (compiled.filter === undefined || passesType(slot, compiled.filter)) &&
      compiled.words.every(word => slot.normalized.includes(word))
    const visit = (ordinal: number): boolean => {
      const slot = this.slots[ordinal]
      if (slot !== undefined && test(slot)) {
        found.push(this.view(slot))
      }
      return found.length < limit
    }
    const candidates = this.words.candidates(compiled.words, this.slots.length)
    for (let ordinal = 0; ordinal < this.slots.length; ordinal++) {
      if ((candidates === undefined || candidates[ordinal] === 1) && !visit(ordinal)) {
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
    for (let ordinal = 0; ordinal < this.slots.length && page.length < limit; ordinal++) {
      const slot = this.slots[ordinal]
      if (slot !== undefined && skip-- <= 0) {
        page.push(this.view(slot))
      }
    }
    return page
  }

  /** The file with this content id, if known. */
  async get (contentId: string): Promise<DiscoveredFile | undefined> {
    const ordinal = this.ordinals.get(contentId)
    const slot = ordinal === undefined ? undefined : this.slots[ordinal]
    return slot === undefined ? undefined : this.view(slot)
  }

  /** Files whose id starts with `prefix` (case-insensitive hex), in id order, at most `limit` (default 20): more than one means ambiguous. */
  async byIdPrefix (prefix: string, options: { limit?: number } = {}): Promise<DiscoveredFile[]> {
    const hex = prefix.toLowerCase()
    if (!/^[0-9a-f]{1,64}$/.test(hex)) {
      return []
    }
    const found: DiscoveredFile[] = []
    // Content ids are hex, so every key with the prefix sorts below prefix + 'g'.
    for await (const id of this.section.keys({ gte: hex, lt: `${hex}g`, limit: options.limit ?? 20 })) {
      const file = await this.get(id)
      if (file !== undefined) {
        found.push(file)
      }
    }
    return found
  }

  /** Files whose name equals `name` once both are normalised (case and accents ignored). */
  async byName (name: string): Promise<DiscoveredFile[]> {
    const wanted = normalizeText(name)
    const candidates = this.words.candidates(wordsOf(wanted), this.slots.length)
    const found: DiscoveredFile[] = []
    this.slots.forEach((slot, ordinal) => {
      if ((candidates === undefined || candidates[ordinal] === 1) && slot?.normalized === wanted) {
        found.push(this.view(slot))
      }
    })
    return found
  }

  /** Drops providers not seen for `providerMaxAgeMs`, and files left with none; resolves with the number of files dropped. */
  async ageOut (now: number = Date.now()): Promise<number> {
    const cutoff = now - this.providerMaxAgeMs
    const writes: Array<{ type: 'put', key: string, value: DiscoveredFileRecord } | { type: 'del', key: string }> = []
    let dropped = 0
    for (let ordinal = 0; ordinal < this.slots.length; ordinal++) {
      const slot = this.slots[ordinal]
      if (slot === undefined || slot.providers.every(provider => provider.lastSeen >= cutoff)) {
        continue
      }
      slot.providers = slot.providers.filter(provider => provider.lastSeen >= cutoff)
      if (slot.providers.length === 0) {
        this.slots[ordinal] = undefined
        this.ordinals.delete(slot.id)
        writes.push({ type: 'del', key: slot.id })
        dropped++
      } else {
        writes.push({ type: 'put', key: slot.id, value: recordOf(slot) })
      }
    }
    for (const [peerId, peer] of this.peers) {
      if (peer.lastSeen < cutoff) {
        this.peers.delete(peerId)
      }
    }
    for (let start = 0; start < writes.length; start += WRITE_BATCH) {
      await this.section.batch(writes.slice(start, start + WRITE_BATCH))
    }
    if (this.slots.length > 2 * this.ordinals.size + 1000) {
      this.compact()
    }
    this.log('aged out %d files', dropped)
    return dropped
  }

  private load (id: string, record: DiscoveredFileRecord | undefined): void {
    if (typeof record?.name !== 'string' || !Array.isArray(record.providers)) {
      return
    }
    const slot = this.addSlot(id, record.name, record.size)
    for (const { peerId, addresses, lastSeen } of record.providers) {
      // The addresses seen last win: older records may hold stale ones.
      const peer = this.peer(peerId, addresses, lastSeen, false)
      slot.providers.push({ peer, lastSeen })
    }
  }

  private addSlot (id: string, name: string, size: number): Slot {
    const normalized = normalizeText(name)
    const slot: Slot = { id, name, normalized, size, kind: fileKindOf(name), extension: extensionOf(name), providers: [] }
    const ordinal = this.slots.length
    this.slots.push(slot)
    this.ordinals.set(id, ordinal)
    this.words.add(ordinal, wordsOf(normalized))
    return slot
  }

  /** The one shared Peer for a peer id; `fresh` addresses replace older ones. */
  private peer (peerId: string, addresses: string[], lastSeen: number, fresh: boolean): Peer {
    let peer = this.peers.get(peerId)
    if (peer === undefined) {
      peer = { peerId, addresses, lastSeen }
      this.peers.set(peerId, peer)
    } else if (fresh || lastSeen > peer.lastSeen) {
      peer.addresses = addresses
      peer.lastSeen = Math.max(peer.lastSeen, lastSeen)
    }
    return peer
  }

  private seen (slot: Slot, peer: Peer, now: number): void {
    const known = slot.providers.find(provider => provider.peer === peer)
    if (known !== undefined) {
      known.lastSeen = Math.max(known.lastSeen, now)
      return
    }
    if (slot.providers.length >= this.maxProvidersPerFile) {
      slot.providers.sort((a, b) => b.lastSeen - a.lastSeen).length = this.maxProvidersPerFile - 1
    }
    slot.providers.push({ peer, lastSeen: now })
  }

  private view (slot: Slot): DiscoveredFile {
    return { id: slot.id, name: slot.name, size: slot.size, type: slot.kind, providers: providersOf(slot) }
  }

  /** Renumbers the live files so holes left by ageOut stop costing memory and search time. */
  private compact (): void {
    const live = this.slots.filter(slot => slot !== undefined)
    this.slots = []
    this.ordinals.clear()
    this.words.clear()
    for (const slot of live) {
      this.ordinals.set(slot.id, this.slots.length)
      this.words.add(this.slots.length, wordsOf(slot.normalized))
      this.slots.push(slot)
    }
    this.words.prepare()
  }
}

function passesType (slot: Slot, filter: TypeFilter): boolean {
  return 'kind' in filter ? slot.kind === filter.kind : slot.extension === filter.extension
}

function providersOf (slot: Slot): Provider[] {
  return slot.providers.map(({ peer, lastSeen }) => ({ peerId: peer.peerId, addresses: [...peer.addresses], lastSeen }))
}

function recordOf (slot: Slot): DiscoveredFileRecord {
  return { name: slot.name, size: slot.size, providers: providersOf(slot) }
}
