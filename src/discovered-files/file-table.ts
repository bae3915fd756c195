import { FILE_KINDS } from '../search/index.ts'
import { IdTable } from './id-table.ts'
import type { FileKind } from '../search/index.ts'

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

const NO_PEER = -1

/**
 * Discovered files as columns, numbered by ordinal: ids in an {@link IdTable},
 * sizes, kinds and extensions in typed arrays, names as two string arrays
 * (as given, and normalised for search), and the first provider of each file
 * in typed arrays — most files have one — with further providers in a map.
 * An object per file cost ~400 bytes with its provider objects; this costs
 * ~150, most of it the two name strings.
 */
export class FileTable {
  readonly ids = new IdTable()
  private names: Array<string | undefined> = []
  private normalized: string[] = []
  private sizes = new Float64Array(1024)
  private kinds = new Uint8Array(1024)
  private extensions = new Int32Array(1024)
  private firstPeer = new Int32Array(1024)
  private firstSeen = new Float64Array(1024)
  private readonly more = new Map<number, ProviderLink[]>()
  private readonly extensionNames: string[] = []
  private readonly extensionIds = new Map<string, number>()
  private readonly peers: Array<TablePeer | undefined> = []
  private readonly peerNumbers = new Map<string, number>()

  /** Ordinals handed out (deleted ones included): iterate `0 … ordinals - 1`. */
  get ordinals (): number {
    return this.ids.ordinals
  }

  /** Live files. */
  get size (): number {
    return this.ids.size
  }

  /** Adds a file that is not present, without providers; returns its ordinal. */
  add (id: string, name: string, normalized: string, size: number, kind: FileKind, extension: string): number {
    const ordinal = this.ids.add(id)
    if (ordinal === this.sizes.length) {
      const length = this.sizes.length * 2
      this.sizes = grow(this.sizes, new Float64Array(length))
      this.kinds = grow(this.kinds, new Uint8Array(length))
      this.extensions = grow(this.extensions, new Int32Array(length))
      this.firstPeer = grow(this.firstPeer, new Int32Array(length))
      this.firstSeen = grow(this.firstSeen, new Float64Array(length))
    }
    this.names.push(name)
    this.normalized.push(normalized)
    this.sizes[ordinal] = size
    this.kinds[ordinal] = FILE_KINDS.indexOf(kind)
    let extensionId = this.extensionIds.get(extension)
    if (extensionId === undefined) {
      extensionId = this.extensionNames.push(extension) - 1
      this.extensionIds.set(extension, extensionId)
    }
    this.extensions[ordinal] = extensionId
    this.firstPeer[ordinal] = NO_PEER
    return ordinal
  }

  /** Whether an ordinal holds a live file. */
  has (ordinal: number): boolean {
    return this.names[ordinal] !== undefined
  }

  name (ordinal: number): string {
    return this.names[ordinal] ?? ''
  }

  /** The name as search sees it (see normalizeText). */
  normalizedName (ordinal: number): string {
    return this.normalized[ordinal]
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

  /** Replaces a file's providers. */
  setProviders (ordinal: number, providers: ProviderLink[]): void {
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
    this.ids.delete(ordinal)
    this.names[ordinal] = undefined
    this.normalized[ordinal] = ''
    this.more.delete(ordinal)
    this.firstPeer[ordinal] = NO_PEER
  }

  /** The number of a peer, added when new; `fresh` addresses replace older ones, else the newest win. */
  peerNumber (peerId: string, addresses: string[], lastSeen: number, fresh: boolean): number {
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
    this.ids.clear()
    this.names = []
    this.normalized = []
    this.more.clear()
  }
}

function grow<T extends Float64Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>> (from: T, to: T): T {
  to.set(from as any)
  return to
}
