/**
 * The vocabulary's word → id lookup, for indexing. A Map of a million word
 * strings cost ~70 MiB of heap, and every lookup first cut the word out of
 * its name as a new string. Here ASCII words (nearly all of them) are kept as
 * bytes in one buffer behind an open-addressing table, and looked up straight
 * from a range of the name, with the hash computed while the name is
 * scanned: no string per word. Words with other characters go to a plain Map.
 * The hash is seeded at random: names come from peers, who must not be able
 * to pick words that collide.
 */
import { murmurFinish } from './murmur-finish.ts'

const EMPTY = -1

/** Word ids by word; ids are handed out by the caller. */
export class WordIds {
  private slots = new Int32Array(1024).fill(EMPTY)
  private mask = 1023
  private entries = 0
  /** Per id: the word's hash, and where its bytes are. */
  private hashes = new Uint32Array(1024)
  private starts = new Uint32Array(1024)
  private ends = new Uint32Array(1024)
  private bytes = Buffer.allocUnsafeSlow(64 * 1024)
  private used = 0
  private readonly others = new Map<string, number>()
  private readonly seed = (Math.random() * 2 ** 32) >>> 0

  /** The running hash before a word's first character. */
  get initialHash (): number {
    return this.seed
  }

  /** The running hash after one more character code (ASCII). */
  static mix (hash: number, code: number): number {
    const mixed = Math.imul(hash ^ code, 0x5bd1e995)
    return mixed ^ (mixed >>> 15)
  }

  /** The id of the ASCII word `text[start, end)` whose running hash is `hash`, or -1. */
  findRange (text: string, start: number, end: number, hash: number): number {
    const final = murmurFinish(hash, end - start)
    for (let slot = final & this.mask; this.slots[slot] !== EMPTY; slot = (slot + 1) & this.mask) {
      const id = this.slots[slot]
      if (this.hashes[id] === final && this.sameBytes(id, text, start, end)) {
        return id
      }
    }
    return -1
  }

  /** Records `id` for an ASCII word (not present) whose running hash is `hash`. */
  addWord (word: string, hash: number, id: number): void {
    if (id >= this.hashes.length) {
      const length = Math.max(id + 1, this.hashes.length * 2)
      this.hashes = grown(this.hashes, length)
      this.starts = grown(this.starts, length)
      this.ends = grown(this.ends, length)
    }
    if (this.used + word.length > this.bytes.byteLength) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.bytes.byteLength * 2, this.used + word.length))
      this.bytes.copy(bigger, 0, 0, this.used)
      this.bytes = bigger
    }
    this.starts[id] = this.used
    this.used += this.bytes.write(word, this.used, 'latin1')
    this.ends[id] = this.used
    this.hashes[id] = murmurFinish(hash, word.length)
    this.insert(id)
    if (++this.entries * 2 > this.slots.length) {
      this.rehash(this.slots.length * 2)
    }
  }

  /** The id of any word, or undefined. */
  get (word: string): number | undefined {
    const hash = this.asciiHash(word)
    if (hash === undefined) {
      return this.others.get(word)
    }
    const id = this.findRange(word, 0, word.length, hash)
    return id === -1 ? undefined : id
  }

  /** Records `id` for any word (not present). */
  set (word: string, id: number): void {
    const hash = this.asciiHash(word)
    if (hash === undefined) {
      this.others.set(word, id)
    } else {
      this.addWord(word, hash, id)
    }
  }

  /** The running hash of a word made of index word characters (`a-z`, `0-9`), else undefined. */
  private asciiHash (word: string): number | undefined {
    let hash = this.seed
    for (let at = 0; at < word.length; at++) {
      const code = word.charCodeAt(at)
      if (!isWordCode(code)) {
        return undefined
      }
      hash = WordIds.mix(hash, code)
    }
    return word.length === 0 ? undefined : hash
  }

  private sameBytes (id: number, text: string, start: number, end: number): boolean {
    const from = this.starts[id]
    if (this.ends[id] - from !== end - start) {
      return false
    }
    for (let at = 0; at < end - start; at++) {
      if (this.bytes[from + at] !== text.charCodeAt(start + at)) {
        return false
      }
    }
    return true
  }

  private insert (id: number): void {
    let slot = this.hashes[id] & this.mask
    while (this.slots[slot] !== EMPTY) {
      slot = (slot + 1) & this.mask
    }
    this.slots[slot] = id
  }

  private rehash (length: number): void {
    const old = this.slots
    this.slots = new Int32Array(length).fill(EMPTY)
    this.mask = length - 1
    for (const id of old) {
      if (id !== EMPTY) {
        this.insert(id)
      }
    }
  }
}

/** Whether a character code is one the ASCII word split keeps: `a-z` or `0-9` (see wordsOf). */
export function isWordCode (code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)
}

function grown (array: Uint32Array<ArrayBuffer>, length: number): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(length)
  bigger.set(array)
  return bigger
}
