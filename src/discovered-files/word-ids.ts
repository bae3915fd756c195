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
  /**
   * Open addressing, two entries a slot: the word's final hash, then its id
   * (EMPTY when free). The hash beside the id means a probe reads one cache
   * line, and only a matching hash reads the word's bytes: with a million
   * words, each array read elsewhere was a cache miss.
   */
  private slots = new Int32Array(2048).fill(EMPTY)
  private mask = 1023
  private entries = 0
  /** Per id: where its bytes start and end in `bytes`, side by side (one cache line for both). */
  private spans = new Uint32Array(2048)
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
    // Signed, as the slots hold it.
    const final = murmurFinish(hash, end - start) | 0
    const { slots, mask } = this
    for (let slot = final & mask; slots[2 * slot + 1] !== EMPTY; slot = (slot + 1) & mask) {
      if (slots[2 * slot] === final && this.sameBytes(slots[2 * slot + 1], text, start, end)) {
        return slots[2 * slot + 1]
      }
    }
    return -1
  }

  /** Records `id` for an ASCII word (not present) whose running hash is `hash`. */
  addWord (word: string, hash: number, id: number): void {
    if (2 * id + 1 >= this.spans.length) {
      const bigger = new Uint32Array(Math.max(2 * id + 2, this.spans.length * 2))
      bigger.set(this.spans)
      this.spans = bigger
    }
    if (this.used + word.length > this.bytes.byteLength) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.bytes.byteLength * 2, this.used + word.length))
      this.bytes.copy(bigger, 0, 0, this.used)
      this.bytes = bigger
    }
    this.spans[2 * id] = this.used
    this.used += this.bytes.write(word, this.used, 'latin1')
    this.spans[2 * id + 1] = this.used
    this.insert(murmurFinish(hash, word.length) | 0, id)
    if (++this.entries * 2 > this.mask + 1) {
      this.rehash(2 * (this.mask + 1))
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
    const from = this.spans[2 * id]
    if (this.spans[2 * id + 1] - from !== end - start) {
      return false
    }
    for (let at = 0; at < end - start; at++) {
      if (this.bytes[from + at] !== text.charCodeAt(start + at)) {
        return false
      }
    }
    return true
  }

  private insert (hash: number, id: number): void {
    let slot = hash & this.mask
    while (this.slots[2 * slot + 1] !== EMPTY) {
      slot = (slot + 1) & this.mask
    }
    this.slots[2 * slot] = hash
    this.slots[2 * slot + 1] = id
  }

  /** Moves every entry into a table of `length` slots. */
  private rehash (length: number): void {
    const old = this.slots
    this.slots = new Int32Array(2 * length).fill(EMPTY)
    this.mask = length - 1
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot + 1] !== EMPTY) {
        this.insert(old[slot], old[slot + 1])
      }
    }
  }
}

/** Whether a character code is one the ASCII word split keeps: `a-z` or `0-9` (see wordsOf). */
export function isWordCode (code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39)
}
