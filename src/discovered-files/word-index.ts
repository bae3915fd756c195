/**
 * An in-memory inverted index from name words to file ordinals, with
 * substring lookup: a query word is looked for in the vocabulary (the
 * distinct words, far fewer than the files), so "beat" finds every file with
 * "beatles" without reading a single file name.
 */
export class WordIndex {
  private readonly wordIds = new Map<string, number>()
  private readonly postings: number[][] = []
  private readonly chunks: VocabularyChunk[] = []

  /** How many distinct words are indexed. */
  get vocabularySize (): number {
    return this.postings.length
  }

  /** Indexes a file's distinct words under its ordinal; ordinals must be added in increasing order. */
  add (ordinal: number, words: string[]): void {
    for (const word of words) {
      const id = this.wordIds.get(word)
      if (id !== undefined) {
        this.postings[id].push(ordinal)
        continue
      }
      this.wordIds.set(word, this.postings.length)
      this.postings.push([ordinal])
      let chunk = this.chunks.at(-1)
      if (chunk === undefined || chunk.words.length === CHUNK_WORDS) {
        chunk = new VocabularyChunk(this.postings.length - 1)
        this.chunks.push(chunk)
      }
      chunk.words.push(word)
    }
  }

  /**
   * The files that may contain every query word: those having the rarest
   * query word as (a substring of) one of their words, as a bitmap over
   * ordinals (callers check the other words against the name itself, cheaper
   * than intersecting long posting lists). Undefined when that would be a
   * large share of `fileCount` files: a plain scan is then as quick.
   */
  candidates (queryWords: string[], fileCount: number): Uint8Array | undefined {
    let best: number[] | undefined
    let bestCount = Infinity
    for (const queryWord of queryWords) {
      const ids = this.wordsContaining(queryWord)
      const count = ids.reduce((total, id) => total + this.postings[id].length, 0)
      if (count < bestCount) {
        best = ids
        bestCount = count
      }
    }
    if (best === undefined || bestCount > fileCount / SCAN_SHARE) {
      return undefined
    }
    const bitmap = new Uint8Array(fileCount)
    for (const id of best) {
      for (const ordinal of this.postings[id]) {
        bitmap[ordinal] = 1
      }
    }
    return bitmap
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
    this.postings.length = 0
    this.chunks.length = 0
  }

  /** Ids of the vocabulary words that contain `part`. */
  private wordsContaining (part: string): number[] {
    const ids: number[] = []
    for (const chunk of this.chunks) {
      chunk.find(part, ids)
    }
    return ids
  }
}

// Words per vocabulary chunk: only the newest chunk changes as words arrive,
// so the joined text of the others is built once.
const CHUNK_WORDS = 4096
// Past one in this many files, scanning every name beats building a candidate set.
const SCAN_SHARE = 4

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
