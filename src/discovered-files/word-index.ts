/**
 * An in-memory inverted index from name words to file ordinals, with
 * substring lookup: a query word is looked for in the vocabulary (the
 * distinct words, far fewer than the files), so "beat" finds every file with
 * "beatles" without reading a single file name.
 *
 * Compact for millions of files: a word's postings are a linked list in
 * typed arrays (8 bytes a posting, appended in O(1)), not an array object per
 * word — with unique words such as camera numbers, most words have one file.
 */
export class WordIndex {
  private readonly wordIds = new Map<string, number>()
  private readonly chunks: VocabularyChunk[] = []
  /** Per word: its first and last posting, and how many it has. */
  private heads = new Int32Array(1024)
  private tails = new Int32Array(1024)
  private counts = new Int32Array(1024)
  /** Per posting: the file ordinal and the next posting of the same word (-1 at the end). */
  private ordinals = new Int32Array(4096)
  private next = new Int32Array(4096)
  private postings = 0

  /** How many distinct words are indexed. */
  get vocabularySize (): number {
    return this.wordIds.size
  }

  /** Indexes a file's distinct words under its ordinal; ordinals must be added in increasing order. */
  add (ordinal: number, words: string[]): void {
    for (const word of words) {
      let id = this.wordIds.get(word)
      if (id === undefined) {
        id = this.newWord(word)
      }
      const posting = this.newPosting(ordinal)
      if (this.counts[id]++ === 0) {
        this.heads[id] = posting
      } else {
        this.next[this.tails[id]] = posting
      }
      this.tails[id] = posting
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

  /** The postings of a few words merged in order (each list is already sorted). */
  private * merged (ids: number[]): Generator<number> {
    const heads = ids.map(id => this.counts[id] === 0 ? -1 : this.heads[id])
    let last = -1
    while (true) {
      let lowest = -1
      for (let index = 0; index < heads.length; index++) {
        if (heads[index] !== -1 && (lowest === -1 || this.ordinals[heads[index]] < this.ordinals[heads[lowest]])) {
          lowest = index
        }
      }
      if (lowest === -1) {
        return
      }
      const ordinal = this.ordinals[heads[lowest]]
      heads[lowest] = this.next[heads[lowest]]
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
      for (let posting = this.counts[id] === 0 ? -1 : this.heads[id]; posting !== -1; posting = this.next[posting]) {
        bitmap[this.ordinals[posting]] = 1
      }
    }
    for (let ordinal = 0; ordinal < fileCount; ordinal++) {
      if (bitmap[ordinal] === 1) {
        yield ordinal
      }
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
    this.wordIds.clear()
    this.chunks.length = 0
    this.counts.fill(0)
    this.postings = 0
  }

  private newWord (word: string): number {
    const id = this.wordIds.size
    this.wordIds.set(word, id)
    if (id === this.heads.length) {
      this.heads = grown(this.heads)
      this.tails = grown(this.tails)
      this.counts = grown(this.counts)
    }
    let chunk = this.chunks.at(-1)
    if (chunk === undefined || chunk.words.length === CHUNK_WORDS) {
      chunk = new VocabularyChunk(id)
      this.chunks.push(chunk)
    }
    chunk.words.push(word)
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
        count += this.counts[ids[index]]
      }
      if (count > maxCount) {
        return undefined
      }
    }
    return { ids, count }
  }
}

/** A copy of `array` with room for as many again (typed arrays cannot grow in place). */
function grown (array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2)
  bigger.set(array)
  return bigger
}

// Words per vocabulary chunk: only the newest chunk changes as words arrive,
// so the joined text of the others is built once.
const CHUNK_WORDS = 4096
// Past one in this many files, scanning every name beats building a candidate set.
const SCAN_SHARE = 4
// Up to this many matching words, their posting lists are merged in order (lazily); past it, a bitmap.
const MERGE_WORDS = 16

/**
 * A run of vocabulary words kept also as one "\n"-joined string, so finding
 * the words that contain a substring is one native `indexOf` loop instead of
 * thousands of small `includes` calls.
 */
class VocabularyChunk {
  readonly firstId: number
  readonly words: string[] = []
  private text = ''
  private starts = new Int32Array(0)
  private joinedCount = 0

  constructor (firstId: number) {
    this.firstId = firstId
  }

  /** Appends to `ids` the ids of this chunk's words containing `part` (which has no "\n"). */
  find (part: string, ids: number[]): void {
    this.join()
    let from = 0
    while (true) {
      const at = this.text.indexOf(part, from)
      if (at === -1) {
        return
      }
      const index = this.wordAt(at)
      ids.push(this.firstId + index)
      // Skip the rest of this word: each word is reported once.
      from = this.starts[index] + this.words[index].length + 1
    }
  }

  /** Builds the joined text and word starts, when words arrived since the last time. */
  join (): void {
    if (this.joinedCount === this.words.length) {
      return
    }
    this.text = this.words.join('\n')
    this.starts = new Int32Array(this.words.length)
    let at = 0
    this.words.forEach((word, index) => {
      this.starts[index] = at
      at += word.length + 1
    })
    this.joinedCount = this.words.length
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
