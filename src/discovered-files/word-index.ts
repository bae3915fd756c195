import { wordsOf } from '../search/index.ts'
import { blockView, SnapshotUnusableError } from './snapshot.ts'
import { isWordCode, WordIds } from './word-ids.ts'

/**
 * An in-memory inverted index from name words to file ordinals, with
 * substring lookup: a query word is looked for in the vocabulary (the
 * distinct words, far fewer than the files), so "beat" finds every file with
 * "beatles" without reading a single file name.
 *
 * Compact for millions of files: a word's postings are packed in one
 * typed array (4 bytes a posting, see {@link WordIndex.freeze}), and those
 * added since as a linked list in typed arrays (8 bytes a posting, appended
 * in O(1)) — never an array object per word: with unique words such as
 * camera numbers, most words have one file.
 */
export class WordIndex {
  /** Word → id, built on the first add() after a snapshot load (searches never need it). */
  private wordIds?: WordIds
  private readonly chunks: VocabularyChunk[] = []
  private wordCount = 0
  /** Postings frozen by {@link freeze}, packed per word (CSR): word w's are `frozenOrdinals[frozenStarts[w] … frozenStarts[w + 1]]`. */
  private frozenStarts = new Uint32Array(1)
  private frozenOrdinals = new Uint32Array(0)
  /**
   * Per word, side by side (WORD_STATE entries a word): its first and last
   * posting added since the freeze, how many, and the last one's ordinal.
   * One array, so posting a word reads one cache line, not four.
   */
  private linked = new Int32Array(1024 * WORD_STATE)
  /** Per posting added since the freeze: the file ordinal and the next posting of the same word (-1 at the end). */
  private ordinals = new Int32Array(4096)
  private next = new Int32Array(4096)
  private postings = 0

  /** An index from the blocks of {@link snapshot}; throws when they do not fit together. */
  static fromSnapshot (blocks: Map<string, Buffer>): WordIndex {
    const index = new WordIndex()
    index.frozenStarts = blockView(blocks.get('starts'), Uint32Array)
    index.frozenOrdinals = blockView(blocks.get('ordinals'), Uint32Array)
    const text = blocks.get('vocabulary')?.toString('utf8') ?? ''
    let from = 0
    while (from < text.length) {
      const chunk = VocabularyChunk.fromText(index.wordCount, text, from)
      index.chunks.push(chunk)
      index.wordCount += chunk.size
      from = chunk.textEnd + 1
    }
    if (index.frozenStarts.length !== index.wordCount + 1 || index.frozenStarts[index.wordCount] !== index.frozenOrdinals.length) {
      throw new SnapshotUnusableError('word index blocks do not fit together')
    }
    return index
  }

  /** Makes room for the postings of `files` more files, guessed from the `indexedFiles` so far (see FileTable.reserve). */
  reserve (files: number, indexedFiles: number): void {
    const perFile = indexedFiles === 0 ? GUESSED_WORDS : (this.frozenOrdinals.length + this.postings) / indexedFiles
    const wanted = this.postings + Math.ceil(files * perFile)
    if (wanted > this.ordinals.length) {
      this.ordinals = grown(this.ordinals, wanted)
      this.next = grown(this.next, wanted)
    }
  }

  /** How many distinct words are indexed. */
  get vocabularySize (): number {
    return this.wordCount
  }

  /** Indexes a file's distinct words under its ordinal; ordinals must be added in increasing order. */
  add (ordinal: number, words: string[]): void {
    const wordIds = this.wordIds ?? this.buildWordIds()
    for (const word of words) {
      let id = wordIds.get(word)
      if (id === undefined) {
        id = this.newWord(word)
        wordIds.set(word, id)
      }
      this.post(id, ordinal)
    }
  }

  /**
   * Indexes the words of a normalised name (see normalizeText) under its
   * ordinal, as `add(ordinal, wordsOf(normalized))` does. A name of lowercase
   * ASCII is split and looked up in one pass over its characters, without a
   * string per word; any other character hands the name to wordsOf.
   */
  addName (ordinal: number, normalized: string): void {
    const wordIds = this.wordIds ?? this.buildWordIds()
    let start = -1
    let hash = 0
    for (let at = 0; at <= normalized.length; at++) {
      const code = at < normalized.length ? normalized.charCodeAt(at) : 0x20
      if (isWordCode(code)) {
        if (start === -1) {
          start = at
          hash = wordIds.initialHash
        }
        hash = WordIds.mix(hash, code)
      } else if (code >= 0x80 || (code >= 0x41 && code <= 0x5a)) {
        // Words already posted are skipped by post(): a file gets each word once.
        this.add(ordinal, wordsOf(normalized))
        return
      } else if (start !== -1) {
        let id = wordIds.findRange(normalized, start, at, hash)
        if (id === -1) {
          const word = normalized.slice(start, at)
          id = this.newWord(word)
          wordIds.addWord(word, hash, id)
        }
        this.post(id, ordinal)
        start = -1
      }
    }
  }

  /**
   * The files that may contain every query word: those having the rarest
   * query word as (a substring of) one of their words, in increasing ordinal
   * order (callers check the other words against the name itself, cheaper
   * than intersecting long posting lists). Lazy, so a search that stops at
   * its limit reads only the postings it needs. Undefined when that would be a
   * large share of `fileCount` files: a plain scan is then as quick.
   */
  candidates (queryWords: string[], fileCount: number): Iterable<number> | undefined {
    let best: number[] | undefined
    let bestCount = fileCount / SCAN_SHARE
    for (const queryWord of queryWords) {
      const found = this.wordsContaining(queryWord, bestCount)
      if (found !== undefined && found.count <= bestCount) {
        best = found.ids
        bestCount = found.count
      }
    }
    if (best === undefined) {
      return undefined
    }
    return best.length <= MERGE_WORDS ? this.merged(best) : this.bitmapped(best, fileCount)
  }

  /**
   * Packs every posting into the frozen lists (4 bytes a posting instead of
   * 8, no slack), so a snapshot can write them as one block. Frozen ordinals
   * are all below the ones added later, so a word's list stays sorted as
   * frozen part, then linked part.
   */
  freeze (): void {
    this.prepare()
    if (this.postings === 0) {
      return
    }
    const starts = new Uint32Array(this.wordCount + 1)
    for (let id = 0; id < this.wordCount; id++) {
      starts[id + 1] = starts[id] + this.frozenCount(id) + this.linkedCount(id)
    }
    const ordinals = new Uint32Array(starts[this.wordCount])
    for (let id = 0; id < this.wordCount; id++) {
      let at = starts[id]
      for (const ordinal of this.postingsOf(id)) {
        ordinals[at++] = ordinal
      }
    }
    this.frozenStarts = starts
    this.frozenOrdinals = ordinals
    this.linked.fill(0)
    this.postings = 0
    this.ordinals = new Int32Array(4096)
    this.next = new Int32Array(4096)
  }

  /** What a snapshot keeps (after {@link freeze}): the vocabulary as "\n"-joined UTF-8 and the packed postings. */
  snapshot (): Record<string, ArrayBufferView> {
    this.freeze()
    return {
      vocabulary: Buffer.from(this.chunks.map(chunk => chunk.text()).join('\n')),
      starts: this.frozenStarts,
      ordinals: this.frozenOrdinals
    }
  }

  /** Builds the lookup text of new vocabulary now, so the next search does not pay for it. */
  prepare (): void {
    for (const chunk of this.chunks) {
      chunk.join()
    }
  }

  /** Forgets everything (before a rebuild). */
  clear (): void {
    this.wordIds = new WordIds()
    this.chunks.length = 0
    this.wordCount = 0
    this.frozenStarts = new Uint32Array(1)
    this.frozenOrdinals = new Uint32Array(0)
    this.linked.fill(0)
    this.postings = 0
  }

  private frozenCount (id: number): number {
    return id + 1 < this.frozenStarts.length ? this.frozenStarts[id + 1] - this.frozenStarts[id] : 0
  }

  private linkedCount (id: number): number {
    // After a snapshot load the array covers no word until the first add (see buildWordIds).
    return id * WORD_STATE < this.linked.length ? this.linked[id * WORD_STATE + COUNT] : 0
  }

  /** A word's first posting linked since the freeze, or -1. */
  private firstLinked (id: number): number {
    return this.linkedCount(id) === 0 ? -1 : this.linked[id * WORD_STATE + HEAD]
  }

  /** A word's postings in increasing ordinal order: the frozen ones, then those linked since. */
  private * postingsOf (id: number): Generator<number> {
    if (id + 1 < this.frozenStarts.length) {
      for (let at = this.frozenStarts[id]; at < this.frozenStarts[id + 1]; at++) {
        yield this.frozenOrdinals[at]
      }
    }
    for (let posting = this.firstLinked(id); posting !== -1; posting = this.next[posting]) {
      yield this.ordinals[posting]
    }
  }

  /** Sets a word's files in `bitmap`: a plain loop over its postings, a generator per posting costs 10× as much. */
  private mark (id: number, bitmap: Uint8Array): void {
    if (id + 1 < this.frozenStarts.length) {
      for (let at = this.frozenStarts[id], end = this.frozenStarts[id + 1]; at < end; at++) {
        bitmap[this.frozenOrdinals[at]] = 1
      }
    }
    for (let posting = this.firstLinked(id); posting !== -1; posting = this.next[posting]) {
      bitmap[this.ordinals[posting]] = 1
    }
  }

  /** The postings of a few words merged in order (each list is already sorted). */
  private * merged (ids: number[]): Generator<number> {
    const lists = ids.map(id => this.postingsOf(id))
    const heads = lists.map(list => list.next())
    let last = -1
    while (true) {
      let lowest = -1
      for (let index = 0; index < heads.length; index++) {
        if (heads[index].done !== true && (lowest === -1 || heads[index].value < heads[lowest].value)) {
          lowest = index
        }
      }
      if (lowest === -1) {
        return
      }
      const ordinal = heads[lowest].value as number
      heads[lowest] = lists[lowest].next()
      if (ordinal !== last) {
        last = ordinal
        yield ordinal
      }
    }
  }

  /** The postings of many words, through a bitmap over ordinals. */
  private * bitmapped (ids: number[], fileCount: number): Generator<number> {
    const bitmap = new Uint8Array(fileCount)
    for (const id of ids) {
      this.mark(id, bitmap)
    }
    for (let ordinal = 0; ordinal < fileCount; ordinal++) {
      if (bitmap[ordinal] === 1) {
        yield ordinal
      }
    }
  }

  /** Adds a posting of a word, unless this file already has one (postings come in increasing ordinal order). */
  private post (id: number, ordinal: number): void {
    const { linked } = this
    const at = id * WORD_STATE
    if (linked[at + COUNT] > 0 && linked[at + LAST] === ordinal) {
      return
    }
    const posting = this.newPosting(ordinal)
    if (linked[at + COUNT]++ === 0) {
      linked[at + HEAD] = posting
    } else {
      this.next[linked[at + TAIL]] = posting
    }
    linked[at + TAIL] = posting
    linked[at + LAST] = ordinal
  }

  private buildWordIds (): WordIds {
    // The per-word state of the snapshot's words, allocated only now: searches never need it.
    if (this.linked.length < this.wordCount * WORD_STATE) {
      this.linked = grown(this.linked, this.wordCount * WORD_STATE)
    }
    const wordIds = new WordIds()
    for (const chunk of this.chunks) {
      chunk.forEachWord((word, index) => { wordIds.set(word, chunk.firstId + index) })
    }
    this.wordIds = wordIds
    return wordIds
  }

  /** A new word's id (the caller records it in wordIds). */
  private newWord (word: string): number {
    const id = this.wordCount++
    if (id * WORD_STATE >= this.linked.length) {
      this.linked = grown(this.linked, Math.max(2 * this.linked.length, (id + 1) * WORD_STATE))
    }
    let chunk = this.chunks.at(-1)
    if (chunk === undefined || chunk.size === CHUNK_WORDS) {
      chunk = new VocabularyChunk(id)
      this.chunks.push(chunk)
    }
    chunk.add(word)
    return id
  }

  private newPosting (ordinal: number): number {
    const posting = this.postings++
    if (posting === this.ordinals.length) {
      this.ordinals = grown(this.ordinals)
      this.next = grown(this.next)
    }
    this.ordinals[posting] = ordinal
    this.next[posting] = -1
    return posting
  }

  /**
   * Ids of the vocabulary words that contain `part`, with their files
   * counted; undefined as soon as those pass `maxCount` (a short substring
   * like "a" is in most words: no need to list them all).
   */
  private wordsContaining (part: string, maxCount: number): { ids: number[], count: number } | undefined {
    const ids: number[] = []
    let count = 0
    for (const chunk of this.chunks) {
      const from = ids.length
      chunk.find(part, ids)
      for (let index = from; index < ids.length; index++) {
        count += this.frozenCount(ids[index]) + this.linkedCount(ids[index])
      }
      if (count > maxCount) {
        return undefined
      }
    }
    return { ids, count }
  }
}

/** A copy of `array` with room for `length` (by default as many again: typed arrays cannot grow in place). */
function grown (array: Int32Array<ArrayBuffer>, length = array.length * 2): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(length)
  bigger.set(array)
  return bigger
}

// Words per vocabulary chunk: only the newest chunk changes as words arrive,
// so the joined text of the others is built once.
const CHUNK_WORDS = 4096
// The per-word entries of WordIndex.linked.
const HEAD = 0
const TAIL = 1
const COUNT = 2
const LAST = 3
const WORD_STATE = 4
// Words a file name is guessed to have before any is indexed.
const GUESSED_WORDS = 6
// Past one in this many files, scanning every name beats building a candidate set.
const SCAN_SHARE = 4
// Up to this many matching words, their posting lists are merged in order (lazily); past it, a bitmap.
const MERGE_WORDS = 16

/**
 * A run of vocabulary words kept as one "\n"-joined string, so finding the
 * words that contain a substring is one native `indexOf` loop instead of
 * thousands of small `includes` calls. Words arrive in `pending` and are
 * joined in at the next search or `prepare()`.
 */
class VocabularyChunk {
  readonly firstId: number
  private pending: string[] = []
  private joined = ''
  /** Where each joined word starts in `joined`. */
  private starts = new Int32Array(0)
  /** Where the chunk ended in the text it was read from (see fromText). */
  textEnd = 0

  constructor (firstId: number) {
    this.firstId = firstId
  }

  /** The chunk of up to CHUNK_WORDS words of `text` ("\n"-separated) that starts at `from`. */
  static fromText (firstId: number, text: string, from: number): VocabularyChunk {
    const chunk = new VocabularyChunk(firstId)
    const starts: number[] = []
    let at = from
    while (starts.length < CHUNK_WORDS && at <= text.length) {
      starts.push(at - from)
      const end = text.indexOf('\n', at)
      at = end === -1 ? text.length + 1 : end + 1
    }
    chunk.joined = text.slice(from, at - 1)
    chunk.textEnd = at - 1
    chunk.starts = Int32Array.from(starts)
    return chunk
  }

  /** Words in the chunk. */
  get size (): number {
    return this.starts.length + this.pending.length
  }

  add (word: string): void {
    this.pending.push(word)
  }

  /** The joined words. */
  text (): string {
    this.join()
    return this.joined
  }

  /** Calls `visit` with each word and its index in the chunk. */
  forEachWord (visit: (word: string, index: number) => void): void {
    this.join()
    for (let index = 0; index < this.starts.length; index++) {
      visit(this.joined.slice(this.starts[index], this.wordEnd(index)), index)
    }
  }

  /** Appends to `ids` the ids of this chunk's words containing `part` (which has no "\n"). */
  find (part: string, ids: number[]): void {
    this.join()
    let from = 0
    while (true) {
      const at = this.joined.indexOf(part, from)
      if (at === -1) {
        return
      }
      const index = this.wordAt(at)
      ids.push(this.firstId + index)
      // Skip the rest of this word: each word is reported once.
      from = this.wordEnd(index) + 1
    }
  }

  /** Joins the pending words in. */
  join (): void {
    if (this.pending.length === 0) {
      return
    }
    const starts = new Int32Array(this.starts.length + this.pending.length)
    starts.set(this.starts)
    let at = this.starts.length === 0 ? 0 : this.joined.length + 1
    this.pending.forEach((word, index) => {
      starts[this.starts.length + index] = at
      at += word.length + 1
    })
    this.joined = this.starts.length === 0 ? this.pending.join('\n') : `${this.joined}\n${this.pending.join('\n')}`
    this.starts = starts
    this.pending = []
  }

  private wordEnd (index: number): number {
    return index + 1 < this.starts.length ? this.starts[index + 1] - 1 : this.joined.length
  }

  /** The index of the word that spans text position `at` (binary search over word starts). */
  private wordAt (at: number): number {
    let low = 0
    let high = this.starts.length - 1
    while (low < high) {
      const middle = (low + high + 1) >> 1
      if (this.starts[middle] <= at) {
        low = middle
      } else {
        high = middle - 1
      }
    }
    return low
  }
}
