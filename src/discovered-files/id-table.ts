/**
 * Content ids ↔ ordinals for a million files without a million strings: each
 * id is kept as its 32 raw bytes in one growing buffer, found through an
 * open-addressing hash table of ordinals. The hash is MurmurHash3 over all
 * 32 bytes with a random seed: ids come from the wire, and a peer could send
 * ids sharing their first bytes to make a plain prefix hash degrade to a scan.
 * A JS Map of hex strings cost ~130 bytes per file; this costs ~40.
 */
import { murmurFinish } from './murmur-finish.ts'
import { blockView, SnapshotUnusableError } from './snapshot.ts'

const ID_BYTES = 32
const EMPTY = -1
const CONTENT_ID = /^[0-9a-f]{64}$/

/** The scalar part of an {@link IdTable} snapshot. */
export interface IdTableMeta {
  count: number
  seed: number
}

/** Content ids (64 lowercase hex digits) numbered 0, 1, 2, … in the order they were added. */
export class IdTable {
  private ids: Buffer = Buffer.alloc(0)
  private slots = new Int32Array(0)
  private mask = 0
  private count = 0
  private live = 0
  /** Ordinals whose id was deleted: they stay in the table until the next rebuild. */
  private readonly dead = new Set<number>()
  private readonly scratch = Buffer.alloc(ID_BYTES)
  /** The id whose bytes the scratch buffer holds, and their hash. */
  private scratchId = ''
  private scratchHash = 0
  private seed = (Math.random() * 2 ** 32) >>> 0

  /** A table from the blocks and meta of {@link snapshot}; throws when they do not fit together. */
  static fromSnapshot (meta: IdTableMeta, blocks: Map<string, Buffer>): IdTable {
    const table = new IdTable()
    const ids = blocks.get('ids')
    table.slots = blockView(blocks.get('slots'), Int32Array)
    if (ids === undefined || !Number.isSafeInteger(meta?.count) || ids.byteLength !== meta.count * ID_BYTES ||
      table.slots.length < 2 * meta.count || (table.slots.length & (table.slots.length - 1)) !== 0) {
      throw new SnapshotUnusableError('id table blocks do not fit together')
    }
    table.ids = ids
    table.count = meta.count
    table.seed = meta.seed >>> 0
    table.mask = table.slots.length - 1
    for (const ordinal of blockView(blocks.get('dead'), Int32Array)) {
      table.dead.add(ordinal)
    }
    table.live = table.count - table.dead.size
    return table
  }

  /** What a snapshot keeps of the table (the hash slots too, so a reopen need not rehash a million ids). */
  snapshot (): { meta: IdTableMeta, blocks: Record<string, ArrayBufferView> } {
    return {
      meta: { count: this.count, seed: this.seed },
      blocks: { ids: this.ids.subarray(0, this.count * ID_BYTES), slots: this.slots, dead: Int32Array.from(this.dead) }
    }
  }

  /** Ordinals handed out so far (deleted ones included). */
  get ordinals (): number {
    return this.count
  }

  /** Ids present. */
  get size (): number {
    return this.live
  }

  /** Appends an id that is not present; returns its ordinal. */
  add (id: string): number {
    if (this.count + 1 > (this.slots.length >> 1)) {
      this.grow(Math.max(1024, this.slots.length * 2))
    }
    const ordinal = this.count++
    if (this.ids.byteLength < this.count * ID_BYTES) {
      this.growIds(Math.max(64 * ID_BYTES, this.ids.byteLength * 2))
    }
    // Ingest looks an id up just before adding it: its bytes and hash are still in the scratch buffer.
    const hash = this.decode(id)
    this.scratch.copy(this.ids, ordinal * ID_BYTES)
    this.insert(ordinal, hash)
    this.live++
    return ordinal
  }

  /** Makes room for `more` ids at once (see FileTable.reserve). */
  reserve (more: number): void {
    const wanted = this.count + more
    if (this.ids.byteLength < wanted * ID_BYTES) {
      this.growIds(wanted * ID_BYTES)
    }
    let slots = Math.max(1024, this.slots.length)
    while (wanted > (slots >> 1)) {
      slots *= 2
    }
    if (slots > this.slots.length) {
      this.grow(slots)
    }
  }

  /** The ordinal of a present id. */
  get (id: string): number | undefined {
    return CONTENT_ID.test(id) ? this.getChecked(id) : undefined
  }

  /** As {@link get}, for an id already checked to be 64 lowercase hex digits (ingest checks each once). */
  getChecked (id: string): number | undefined {
    if (this.live === 0) {
      return undefined
    }
    const { ids, scratch } = this
    for (let slot = this.decode(id) & this.mask; this.slots[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      const ordinal = this.slots[slot]
      const at = ordinal * ID_BYTES
      // Bytes compared here first: a native compare() per probed slot cost more than the rest of the lookup.
      if (ids[at] === scratch[0] && ids[at + 1] === scratch[1] && ids.compare(scratch, 0, ID_BYTES, at, at + ID_BYTES) === 0 && !this.dead.has(ordinal)) {
        return ordinal
      }
    }
    return undefined
  }

  /** The id of an ordinal, as 64 hex digits. */
  idAt (ordinal: number): string {
    return this.ids.toString('hex', ordinal * ID_BYTES, (ordinal + 1) * ID_BYTES)
  }

  /**
   * The ordinals of present ids starting with `prefix` (1–64 lowercase hex
   * digits), in id order, at most `limit`: a scan of the raw ids, no string
   * made for those that do not match.
   */
  withPrefix (prefix: string, limit: number): number[] {
    const whole = prefix.length >> 1
    const bytes = Buffer.from(prefix.slice(0, 2 * whole), 'hex')
    const nibble = prefix.length % 2 === 1 ? parseInt(prefix[prefix.length - 1], 16) : -1
    const found: number[] = []
    const { ids } = this
    const matches = (at: number): boolean => {
      for (let index = 0; index < whole; index++) {
        if (ids[at + index] !== bytes[index]) {
          return false
        }
      }
      return nibble === -1 || ids[at + whole] >> 4 === nibble
    }
    for (let ordinal = 0; ordinal < this.count; ordinal++) {
      if (matches(ordinal * ID_BYTES) && !this.dead.has(ordinal)) {
        found.push(ordinal)
      }
    }
    // compare() orders its source (the second range) against its target (the first).
    return found
      .sort((a, b) => ids.compare(ids, b * ID_BYTES, (b + 1) * ID_BYTES, a * ID_BYTES, (a + 1) * ID_BYTES))
      .slice(0, limit)
  }

  /** Copies the 32 raw bytes of an ordinal's id into `target` at `offset`. */
  copyId (ordinal: number, target: Buffer, offset: number): void {
    this.ids.copy(target, offset, ordinal * ID_BYTES, (ordinal + 1) * ID_BYTES)
  }

  /** Forgets the id of an ordinal (its ordinal is never reused). */
  delete (ordinal: number): void {
    if (ordinal < this.count && !this.dead.has(ordinal)) {
      this.dead.add(ordinal)
      this.live--
    }
  }

  /** Forgets everything. */
  clear (): void {
    this.ids = Buffer.alloc(0)
    this.slots = new Int32Array(0)
    this.mask = 0
    this.count = 0
    this.live = 0
    this.dead.clear()
  }

  /** Puts an id's raw bytes in the scratch buffer (unless they are there already); returns its hash. */
  private decode (id: string): number {
    if (id !== this.scratchId) {
      this.scratch.write(id, 0, ID_BYTES, 'hex')
      this.scratchHash = this.hash(this.scratch, 0)
      this.scratchId = id
    }
    return this.scratchHash
  }

  private insert (ordinal: number, hash = this.hash(this.ids, ordinal * ID_BYTES)): void {
    let slot = hash & this.mask
    while (this.slots[slot] !== EMPTY) {
      slot = (slot + 1) & this.mask
    }
    this.slots[slot] = ordinal
  }

  /** MurmurHash3 (x86, 32-bit) of the 32 bytes at `offset`. */
  private hash (bytes: Buffer, offset: number): number {
    let h = this.seed
    for (let at = offset; at < offset + ID_BYTES; at += 4) {
      let k = Math.imul(bytes.readUInt32LE(at), 0xcc9e2d51)
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
      h ^= k
      h = (h << 13) | (h >>> 19)
      h = (Math.imul(h, 5) + 0xe6546b64) | 0
    }
    return murmurFinish(h, ID_BYTES)
  }

  private growIds (byteLength: number): void {
    const bigger = Buffer.allocUnsafeSlow(byteLength)
    this.ids.copy(bigger, 0, 0, this.count * ID_BYTES)
    this.ids = bigger
  }

  private grow (length: number): void {
    this.slots = new Int32Array(length).fill(EMPTY)
    this.mask = length - 1
    for (let ordinal = 0; ordinal < this.count; ordinal++) {
      this.insert(ordinal)
    }
  }
}
