// Bytes an entry is guessed to take before any is known (a typical file name).
const GUESSED_BYTES = 40

/**
 * Strings numbered 0, 1, 2, … kept as UTF-8 in one growing buffer with an end
 * offset each, instead of a JS string per entry: a million names cost their
 * bytes plus 4 bytes each (a V8 string costs ~20 bytes of header and a
 * pointer on top), the garbage collector never walks them, and a snapshot
 * writes and reads them as two blocks. A whole-column substring scan is one
 * native `indexOf` over the bytes.
 */
export class TextColumn {
  private bytes: Buffer
  private ends: Uint32Array<ArrayBuffer>
  private used = 0
  private count = 0

  constructor (bytes: Buffer = Buffer.allocUnsafeSlow(64 * 1024), ends: Uint32Array<ArrayBuffer> = new Uint32Array(1024)) {
    this.bytes = bytes
    this.ends = ends
  }

  /** A column over persisted blocks (see {@link blocks}); throws when they do not fit together. */
  static fromBlocks (bytes: Buffer, ends: Uint32Array<ArrayBuffer>): TextColumn {
    const column = new TextColumn(bytes, ends)
    column.count = ends.length
    column.used = ends.length === 0 ? 0 : ends[ends.length - 1]
    if (column.used !== bytes.byteLength || ends.some((end, index) => index > 0 && end < ends[index - 1])) {
      throw new RangeError('text column blocks do not fit together')
    }
    return column
  }

  /** Entries in the column. */
  get length (): number {
    return this.count
  }

  /** Makes room for `more` entries at once, their bytes guessed from those so far (see FileTable.reserve). */
  reserve (more: number): void {
    if (this.count + more > this.ends.length) {
      this.growEnds(this.count + more)
    }
    // A quarter more than the average so far: one byte short doubles the whole buffer on push (200 MB at 1M files).
    const guess = this.used + Math.ceil(more * 1.25 * (this.count === 0 ? GUESSED_BYTES : this.used / this.count))
    if (guess > this.bytes.byteLength) {
      this.growBytes(guess)
    }
  }

  /** Appends a string; returns its index. */
  push (text: string): number {
    const needed = this.used + Buffer.byteLength(text)
    if (needed > this.bytes.byteLength) {
      this.growBytes(Math.max(needed, this.bytes.byteLength * 2))
    }
    if (this.count === this.ends.length) {
      this.growEnds(Math.max(1024, this.ends.length * 2))
    }
    this.used += this.bytes.write(text, this.used)
    this.ends[this.count] = this.used
    return this.count++
  }

  /** The string at an index. */
  at (index: number): string {
    return this.bytes.toString('utf8', this.start(index), this.ends[index])
  }

  /** The UTF-8 length of the string at an index. */
  byteLength (index: number): number {
    return this.ends[index] - this.start(index)
  }

  /** Copies the UTF-8 bytes of the string at an index into `target` at `offset`; returns how many. */
  copyTo (index: number, target: Buffer, offset: number): number {
    return this.bytes.copy(target, offset, this.start(index), this.ends[index])
  }

  /**
   * Overwrites an entry's bytes with `filler` (an ASCII byte no search looks
   * for), so scans skip it; the space comes back at the next rebuild.
   */
  blank (index: number, filler: number): void {
    this.bytes.fill(filler, this.start(index), this.ends[index])
  }

  /**
   * The indexes whose string contains `part` (UTF-8 bytes, non-empty), in
   * increasing order, each once. Lazy: a search that stops early reads only
   * as far as it got. UTF-8 is self-synchronising, so a byte match is a
   * character match.
   */
  * containing (part: Uint8Array): Generator<number> {
    const bytes = this.bytes.subarray(0, this.used)
    let from = 0
    while (from < this.used) {
      const at = bytes.indexOf(part, from)
      if (at === -1) {
        return
      }
      const index = this.indexAt(at)
      if (at + part.byteLength <= this.ends[index]) {
        yield index
        from = this.ends[index]
      } else {
        // The match runs into the next entry: look again inside that one.
        from = at + 1
      }
    }
  }

  /** The stored blocks, for a snapshot: the bytes in use and the end offsets. */
  blocks (): { bytes: Buffer, ends: Uint32Array<ArrayBuffer> } {
    return { bytes: this.bytes.subarray(0, this.used), ends: this.ends.subarray(0, this.count) }
  }

  private start (index: number): number {
    return index === 0 ? 0 : this.ends[index - 1]
  }

  /** The entry that holds byte `at` (the first whose end is past it). */
  private indexAt (at: number): number {
    let low = 0
    let high = this.count - 1
    while (low < high) {
      const middle = (low + high) >> 1
      if (this.ends[middle] <= at) {
        low = middle + 1
      } else {
        high = middle
      }
    }
    return low
  }

  private growBytes (byteLength: number): void {
    const bigger = Buffer.allocUnsafeSlow(byteLength)
    this.bytes.copy(bigger, 0, 0, this.used)
    this.bytes = bigger
  }

  private growEnds (length: number): void {
    const bigger = new Uint32Array(length)
    bigger.set(this.ends.subarray(0, this.count))
    this.ends = bigger
  }
}
