import { FILE_KINDS, kindOfExtension } from '../search/index.ts'
import { IdTable } from './id-table.ts'
import { blocksUnder, blockView, SnapshotUnusableError } from './snapshot.ts'
import { TextColumn } from './text-column.ts'
import type { FileKind } from '../search/index.ts'
import type { IdTableMeta } from './id-table.ts'

/** One provider of one file: a peer number (see {@link FileTable.peerNumber}) and when it was last seen with the file. */
export interface ProviderLink {
  peer: number
  lastSeen: number
}

/** A peer as the table keeps it once for all its files. */
export interface TablePeer {
  peerId: string
  addresses: string[]
  lastSeen: number
}

/** The scalar part of a {@link FileTable} snapshot. */
export interface FileTableMeta {
  ids: IdTableMeta
  extensions: string[]
  peers: Array<[peerId: string, addresses: string[], lastSeen: number] | null>
}

const NO_PEER = -1
// The kind of a deleted file's ordinal (FILE_KINDS has far fewer entries).
const DELETED = 255
// What a deleted file's normalised name is overwritten with: never part of a query word.
const BLANK = 0x0a

/**
 * Discovered files as columns, numbered by ordinal: ids in an {@link IdTable},
 * sizes, kinds and extensions in typed arrays, names in two UTF-8
 * {@link TextColumn}s (as given, and normalised for search), and the first
 * provider of each file in typed arrays — most files have one — with further
 * providers in a map. An object per file cost ~400 bytes with its provider
 * objects; this costs ~160, most of it the two names' bytes, and none of it
 * is objects the garbage collector must walk.
 */
export class FileTable {
  private idTable = new IdTable()
  private names = new TextColumn()
  private normalized = new TextColumn()
  private sizes = new Float64Array(1024)
  private kinds = new Uint8Array(1024)
  private extensions = new Int32Array(1024)
  private firstPeer = new Int32Array(1024)
  private firstSeen = new Float64Array(1024)
  private readonly more = new Map<number, ProviderLink[]>()
  private readonly extensionNames: string[] = []
  private readonly extensionIds = new Map<string, number>()
  /** By extension id: the index in FILE_KINDS of its files' kind, worked out once per extension. */
  private readonly extensionKinds: number[] = []
  private readonly peers: Array<TablePeer | undefined> = []
  private readonly peerNumbers = new Map<string, number>()
  private changes = 0
  private renumberings = 0

  /** A table from the blocks and meta of {@link snapshot}; throws when they do not fit together. */
  static fromSnapshot (meta: FileTableMeta, blocks: Map<string, Buffer>): FileTable {
    const table = new FileTable()
    table.idTable = IdTable.fromSnapshot(meta.ids, blocksUnder(blocks, 'ids.'))
    table.names = TextColumn.fromBlocks(blocks.get('names') ?? Buffer.alloc(0), blockView(blocks.get('nameEnds'), Uint32Array))
    table.normalized = TextColumn.fromBlocks(blocks.get('normalized') ?? Buffer.alloc(0), blockView(blocks.get('normalizedEnds'), Uint32Array))
    table.sizes = blockView(blocks.get('sizes'), Float64Array)
    table.kinds = blockView(blocks.get('kinds'), Uint8Array)
    table.extensions = blockView(blocks.get('extensions'), Int32Array)
    table.firstPeer = blockView(blocks.get('firstPeer'), Int32Array)
    table.firstSeen = blockView(blocks.get('firstSeen'), Float64Array)
    const count = table.ordinals
    if ([table.names.length, table.normalized.length, table.sizes.length, table.kinds.length, table.extensions.length,
      table.firstPeer.length, table.firstSeen.length].some(length => length !== count) || !Array.isArray(meta.extensions) || !Array.isArray(meta.peers)) {
      throw new SnapshotUnusableError('file table blocks do not fit together')
    }
    for (const extension of meta.extensions) {
      table.addExtension(String(extension))
    }
    meta.peers.forEach((peer, number) => {
      table.peers.push(peer === null ? undefined : { peerId: peer[0], addresses: peer[1], lastSeen: peer[2] })
      if (peer !== null) {
        table.peerNumbers.set(peer[0], number)
      }
    })
    const more = blockView(blocks.get('moreProviders'), Float64Array)
    for (let at = 0; at < more.length; at += 2 + 2 * more[at + 1]) {
      if (!Number.isSafeInteger(more[at + 1]) || more[at + 1] < 1 || at + 2 + 2 * more[at + 1] > more.length) {
        throw new SnapshotUnusableError('extra providers block malformed')
      }
      const links: ProviderLink[] = []
      for (let link = 0; link < more[at + 1]; link++) {
        links.push({ peer: more[at + 2 + 2 * link], lastSeen: more[at + 3 + 2 * link] })
      }
      table.more.set(more[at], links)
    }
    return table
  }

  /** Bumped by {@link clearFiles}: ordinals from before mean nothing after. */
  get generation (): number {
    return this.renumberings
  }

  /** Bumped by every change: a snapshot written while it moved may be torn. */
  get version (): number {
    return this.changes
  }

  /** The ids of the files, by ordinal. */
  get ids (): IdTable {
    return this.idTable
  }

  /** What a snapshot keeps of the table: every column as a block, peers and extensions as meta. */
  snapshot (): { meta: FileTableMeta, blocks: Record<string, ArrayBufferView> } {
    const count = this.ordinals
    const ids = this.idTable.snapshot()
    let moreLength = 0
    for (const links of this.more.values()) {
      moreLength += 2 + 2 * links.length
    }
    const more = new Float64Array(moreLength)
    let at = 0
    for (const [ordinal, links] of this.more) {
      more[at++] = ordinal
      more[at++] = links.length
      for (const link of links) {
        more[at++] = link.peer
        more[at++] = link.lastSeen
      }
    }
    const names = this.names.blocks()
    const normalized = this.normalized.blocks()
    return {
      meta: {
        ids: ids.meta,
        extensions: this.extensionNames,
        peers: this.peers.map(peer => peer === undefined ? null : [peer.peerId, peer.addresses, peer.lastSeen])
      },
      blocks: {
        ...Object.fromEntries(Object.entries(ids.blocks).map(([name, block]) => [`ids.${name}`, block])),
        names: names.bytes,
        nameEnds: names.ends,
        normalized: normalized.bytes,
        normalizedEnds: normalized.ends,
        sizes: this.sizes.subarray(0, count),
        kinds: this.kinds.subarray(0, count),
        extensions: this.extensions.subarray(0, count),
        firstPeer: this.firstPeer.subarray(0, count),
        firstSeen: this.firstSeen.subarray(0, count),
        moreProviders: more
      }
    }
  }

  /** Ordinals handed out (deleted ones included): iterate `0 … ordinals - 1`. */
  get ordinals (): number {
    return this.ids.ordinals
  }

  /** Live files. */
  get size (): number {
    return this.ids.size
  }

  /** Adds a file that is not present, without providers; returns its ordinal. Its kind follows from its extension (see extensionOf). */
  add (id: string, name: string, normalized: string, size: number, extension: string): number {
    const ordinal = this.ids.add(id)
    if (ordinal === this.sizes.length) {
      this.growColumns(Math.max(1024, this.sizes.length * 2))
    }
    this.names.push(name)
    this.normalized.push(normalized)
    this.changes++
    this.sizes[ordinal] = size
    const extensionId = this.extensionIds.get(extension) ?? this.addExtension(extension)
    this.kinds[ordinal] = this.extensionKinds[extensionId]
    this.extensions[ordinal] = extensionId
    this.firstPeer[ordinal] = NO_PEER
    return ordinal
  }

  /**
   * Makes room for `files` more files in every column at once: an ingest
   * knows how many may come, and each doubling of a column was another
   * copy and more external memory, which makes V8 mark the whole heap again.
   * `exact`: room for those files alone, not the doubling that keeps many
   * small ingests cheap (a reopen adds the log after a snapshot, and then
   * waits for fetches).
   */
  reserve (files: number, exact = false): void {
    const wanted = this.ordinals + files
    if (wanted > this.sizes.length) {
      this.growColumns(exact ? wanted : Math.max(wanted, this.sizes.length * 2))
    }
    this.idTable.reserve(files)
    this.names.reserve(files)
    this.normalized.reserve(files)
  }

  private growColumns (length: number): void {
    this.sizes = grow(this.sizes, new Float64Array(length))
    this.kinds = grow(this.kinds, new Uint8Array(length))
    this.extensions = grow(this.extensions, new Int32Array(length))
    this.firstPeer = grow(this.firstPeer, new Int32Array(length))
    this.firstSeen = grow(this.firstSeen, new Float64Array(length))
  }

  private addExtension (extension: string): number {
    const extensionId = this.extensionNames.push(extension) - 1
    this.extensionIds.set(extension, extensionId)
    this.extensionKinds.push(FILE_KINDS.indexOf(kindOfExtension(extension)))
    return extensionId
  }

  /** Whether an ordinal holds a live file. */
  has (ordinal: number): boolean {
    return ordinal < this.ordinals && this.kinds[ordinal] !== DELETED
  }

  name (ordinal: number): string {
    return this.has(ordinal) ? this.names.at(ordinal) : ''
  }

  /** The UTF-8 length of a live file's name. */
  nameByteLength (ordinal: number): number {
    return this.has(ordinal) ? this.names.byteLength(ordinal) : 0
  }

  /** Copies a live file's name as UTF-8 into `target` at `offset` (no string made); returns the bytes copied. */
  copyName (ordinal: number, target: Buffer, offset: number): number {
    return this.has(ordinal) ? this.names.copyTo(ordinal, target, offset) : 0
  }

  /** The name as search sees it (see normalizeText). */
  normalizedName (ordinal: number): string {
    return this.has(ordinal) ? this.normalized.at(ordinal) : ''
  }

  /** The ordinals of live files of a kind (or with an extension), in increasing order, lazily: a loop over one typed array. */
  * ofType (filter: { kind: FileKind } | { extension: string }): Generator<number> {
    const wanted = 'kind' in filter ? FILE_KINDS.indexOf(filter.kind) : this.extensionIds.get(filter.extension)
    if (wanted === undefined || wanted === -1) {
      return
    }
    const column = 'kind' in filter ? this.kinds : this.extensions
    for (let ordinal = 0, count = this.ordinals; ordinal < count; ordinal++) {
      if (column[ordinal] === wanted && this.kinds[ordinal] !== DELETED) {
        yield ordinal
      }
    }
  }

  /** The ordinals of live files whose normalised name contains `part` (non-empty), in increasing order, lazily. */
  * normalizedContaining (part: string): Generator<number> {
    for (const ordinal of this.normalized.containing(Buffer.from(part))) {
      if (this.has(ordinal)) {
        yield ordinal
      }
    }
  }

  fileSize (ordinal: number): number {
    return this.sizes[ordinal]
  }

  kind (ordinal: number): FileKind {
    return FILE_KINDS[this.kinds[ordinal]]
  }

  extension (ordinal: number): string {
    return this.extensionNames[this.extensions[ordinal]]
  }

  /** A file's providers, in the order they were recorded. */
  providers (ordinal: number): ProviderLink[] {
    if (this.firstPeer[ordinal] === NO_PEER) {
      return []
    }
    const first = { peer: this.firstPeer[ordinal], lastSeen: this.firstSeen[ordinal] }
    const more = this.more.get(ordinal)
    return more === undefined ? [first] : [first, ...more]
  }

  /** How many providers a file has ({@link linkPeer} and {@link linkSeen} read them without building objects). */
  linkCount (ordinal: number): number {
    return this.firstPeer[ordinal] === NO_PEER ? 0 : 1 + (this.more.get(ordinal)?.length ?? 0)
  }

  /** The peer number of a file's provider `link` (0 … linkCount - 1). */
  linkPeer (ordinal: number, link: number): number {
    return link === 0 ? this.firstPeer[ordinal] : (this.more.get(ordinal)?.[link - 1].peer ?? NO_PEER)
  }

  /** When a file's provider `link` was last seen with it. */
  linkSeen (ordinal: number, link: number): number {
    return link === 0 ? this.firstSeen[ordinal] : (this.more.get(ordinal)?.[link - 1].lastSeen ?? 0)
  }

  /**
   * Records that `peer` has a file as of `now`: refreshes its link, or adds
   * one, dropping the least recently seen links past `maxLinks`. A file's
   * first provider is the typed-array fast path: no object made.
   */
  link (ordinal: number, peer: number, now: number, maxLinks: number): void {
    if (this.firstPeer[ordinal] === NO_PEER || (this.firstPeer[ordinal] === peer && !this.more.has(ordinal))) {
      this.changes++
      this.firstSeen[ordinal] = this.firstPeer[ordinal] === NO_PEER ? now : Math.max(this.firstSeen[ordinal], now)
      this.firstPeer[ordinal] = peer
      return
    }
    const providers = this.providers(ordinal)
    const known = providers.find(provider => provider.peer === peer)
    if (known !== undefined) {
      known.lastSeen = Math.max(known.lastSeen, now)
    } else {
      if (providers.length >= maxLinks) {
        providers.sort((a, b) => b.lastSeen - a.lastSeen).length = maxLinks - 1
      }
      providers.push({ peer, lastSeen: now })
    }
    this.setProviders(ordinal, providers)
  }

  /** Replaces a file's providers. */
  setProviders (ordinal: number, providers: ProviderLink[]): void {
    this.changes++
    this.firstPeer[ordinal] = providers[0]?.peer ?? NO_PEER
    this.firstSeen[ordinal] = providers[0]?.lastSeen ?? 0
    if (providers.length > 1) {
      this.more.set(ordinal, providers.slice(1))
    } else {
      this.more.delete(ordinal)
    }
  }

  /** Deletes a file; its ordinal stays a hole until the table is rebuilt. */
  delete (ordinal: number): void {
    this.changes++
    this.idTable.delete(ordinal)
    this.kinds[ordinal] = DELETED
    this.normalized.blank(ordinal, BLANK)
    this.more.delete(ordinal)
    this.firstPeer[ordinal] = NO_PEER
  }

  /** The number of a peer, added when new; `fresh` addresses replace older ones, else the newest win. */
  peerNumber (peerId: string, addresses: string[], lastSeen: number, fresh: boolean): number {
    this.changes++
    let number = this.peerNumbers.get(peerId)
    const peer = number === undefined ? undefined : this.peers[number]
    if (number === undefined || peer === undefined) {
      number = this.peers.push({ peerId, addresses, lastSeen }) - 1
      this.peerNumbers.set(peerId, number)
    } else if (fresh || lastSeen > peer.lastSeen) {
      peer.addresses = addresses
      peer.lastSeen = Math.max(peer.lastSeen, lastSeen)
    }
    return number
  }

  peer (number: number): TablePeer | undefined {
    return this.peers[number]
  }

  /** Forgets the peers not seen since `cutoff` (their files' links must be gone already). */
  dropPeersBefore (cutoff: number): void {
    this.changes++
    for (const [peerId, number] of this.peerNumbers) {
      const peer = this.peers[number]
      if (peer === undefined || peer.lastSeen < cutoff) {
        this.peers[number] = undefined
        this.peerNumbers.delete(peerId)
      }
    }
  }

  /** Forgets every file (peers are kept). */
  clearFiles (): void {
    this.changes++
    this.renumberings++
    this.idTable.clear()
    this.names = new TextColumn()
    this.normalized = new TextColumn()
    this.more.clear()
  }
}

function grow<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>> (from: T, to: T): T {
  to.set(from as any)
  return to
}
