/**
 * Query routing tables (`/peerit/fetch/1.1`): a fixed-size bitmap of hashed
 * 3-grams of the words of a peer's shared names, sent to its neighbours so a
 * query on its last hop goes only where it may match (Gnutella's QRP, made
 * to fit PeerIT's substring matching; reach-tables.ts ORs them for the hop
 * before). The exact format is in
 * docs/protocols.md; a table never gives a false "no".
 */
import { nameWords } from './words.ts'
import type { FetchQuery } from './index.ts'

/** Bits in a table: 2^16, as in Gnutella's QRP default. */
export const TABLE_BITS = 65_536
/** Bytes of a table on the wire (exactly; any other length is a violation). */
export const TABLE_BYTES = TABLE_BITS / 8
/** Code points per hashed gram. A query word shorter than this cannot be ruled out. */
export const GRAM_LENGTH = 3

const utf8 = new TextEncoder()

/**
 * The table slot of one gram: 32-bit FNV-1a over its UTF-8 bytes, folded to
 * 16 bits by XOR of the two halves (FNV's own advice for a smaller range).
 */
export function slotOf (gram: string): number {
  let hash = 0x811c9dc5
  for (const byte of utf8.encode(gram)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  }
  return ((hash >>> 16) ^ (hash & 0xffff)) & (TABLE_BITS - 1)
}

/** Every run of GRAM_LENGTH code points of a normalised word (none when it is shorter). */
export function gramsOf (word: string): string[] {
  const points = [...word]
  const grams: string[] = []
  for (let i = 0; i + GRAM_LENGTH <= points.length; i++) {
    grams.push(points.slice(i, i + GRAM_LENGTH).join(''))
  }
  return grams
}

/** A routing table: bit `s` set when some shared name has a gram in slot `s`. */
export class RoutingTable {
  /** Byte `s >> 3`, bit `s & 7` (least significant first). */
  readonly bitmap: Uint8Array

  constructor (bitmap: Uint8Array = new Uint8Array(TABLE_BYTES)) {
    if (bitmap.byteLength !== TABLE_BYTES) {
      throw new RangeError(`a routing table has exactly ${TABLE_BYTES} bytes, got ${bitmap.byteLength}`)
    }
    this.bitmap = bitmap
  }

  /** The table of a set of file names. */
  static fromNames (names: Iterable<string>): RoutingTable {
    const table = new RoutingTable()
    for (const name of names) {
      for (const word of nameWords(name)) {
        for (const gram of gramsOf(word)) {
          table.set(slotOf(gram))
        }
      }
    }
    return table
  }

  /** Marks one slot. */
  set (slot: number): void {
    this.bitmap[slot >>> 3] |= 1 << (slot & 7)
  }

  /** Whether one slot is marked. */
  has (slot: number): boolean {
    return (this.bitmap[slot >>> 3] & (1 << (slot & 7))) !== 0
  }

  /**
   * False only when no name behind this table can match `query`: some gram
   * of some query word is missing. A query without words (or with only
   * words shorter than a gram) may match anything.
   */
  mayMatch (query: FetchQuery | undefined): boolean {
    for (const word of queryWords(query)) {
      for (const gram of gramsOf(word)) {
        if (!this.has(slotOf(gram))) {
          return false
        }
      }
    }
    return true
  }

  /** Fraction of slots set (for logs and the benchmark). */
  fill (): number {
    let set = 0
    for (const byte of this.bitmap) {
      for (let bits = byte; bits !== 0; bits &= bits - 1) {
        set++
      }
    }
    return set / TABLE_BITS
  }

  /** Same bits. */
  equals (other: RoutingTable): boolean {
    return this.bitmap.every((byte, i) => byte === other.bitmap[i])
  }
}

/** A query's words folded as a responder folds them (each may split into several, as "rock-n" → "rock", "n"). */
function queryWords (query: FetchQuery | undefined): string[] {
  return (query?.words ?? []).flatMap(word => nameWords(word))
}
