import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WordIds } from '../../src/discovered-files/word-ids.ts'
import { WordIndex } from '../../src/discovered-files/word-index.ts'
import { normalizeText, wordsOf } from '../../src/search/index.ts'

const ordinalsOf = (candidates: Iterable<number> | undefined): number[] => candidates === undefined ? [] : [...candidates]

describe('WordIndex', () => {
  it('finds the files of the rarest query word, by whole word or substring', () => {
    const index = new WordIndex()
    const names = [['beatles', 'help'], ['beatles', 'yesterday'], ['help', 'desk'], ...Array.from({ length: 20 }, () => ['filler'])]
    names.forEach((words, ordinal) => { index.add(ordinal, words) })
    index.prepare()
    assert.equal(index.vocabularySize, 5)
    assert.deepEqual(ordinalsOf(index.candidates(['beat'], names.length)), [0, 1])
    // Two matching words, merged in order, each file once.
    index.add(names.length, ['beatlemania', 'beatles'])
    assert.deepEqual(ordinalsOf(index.candidates(['beatle'], names.length + 1)), [0, 1, names.length])
    assert.deepEqual(ordinalsOf(index.candidates(['help', 'yesterday'], names.length)), [1])
    assert.deepEqual(ordinalsOf(index.candidates(['nothing'], names.length)), [])
    // Most files match: a scan is cheaper than a candidate set.
    assert.equal(index.candidates(['filler'], names.length), undefined)
  })

  it('keeps postings in order across growth of its arrays and over many words', () => {
    const index = new WordIndex()
    const files = 50_000
    for (let ordinal = 0; ordinal < files; ordinal++) {
      index.add(ordinal, [`unique${ordinal}`, `group${ordinal % 1000}`])
    }
    index.prepare()
    assert.equal(index.vocabularySize, files + 1000)
    assert.deepEqual(ordinalsOf(index.candidates(['group7'], files)).slice(0, 3), [7, 70, 71])
    assert.deepEqual(ordinalsOf(index.candidates(['unique12345'], files)), [12345])
    // Over 16 matching words ("group1", "group10"…): through the bitmap, still in order, each file once.
    const many = ordinalsOf(index.candidates(['group1'], files))
    assert.equal(many.length, 111 * 50)
    assert.deepEqual(many.slice(0, 4), [1, 10, 11, 12])
    assert.ok(many.every((ordinal, at) => at === 0 || ordinal > many[at - 1]))
  })

  it('starts empty again after clear()', () => {
    const index = new WordIndex()
    index.add(0, ['beatles'])
    index.clear()
    index.add(0, ['help'])
    index.prepare()
    assert.equal(index.vocabularySize, 1)
    assert.deepEqual(ordinalsOf(index.candidates(['beatles'], 10)), [])
    assert.deepEqual(ordinalsOf(index.candidates(['help'], 10)), [0])
  })

  it('keeps postings in order across a freeze and a snapshot round trip', () => {
    const index = new WordIndex()
    index.add(0, ['beatles', 'help'])
    index.add(1, ['beatles', 'yesterday'])
    index.freeze()
    index.add(2, ['beatles', 'zebra'])
    const loaded = WordIndex.fromSnapshot(new Map(Object.entries(index.snapshot()).map(([name, block]) =>
      [name, Buffer.from(new Uint8Array(block.buffer, block.byteOffset, block.byteLength))])))
    loaded.add(3, ['beatlemania', 'help'])
    for (const words of [index, loaded]) {
      assert.deepEqual(ordinalsOf(words.candidates(['zebra'], 100)), [2])
    }
    assert.equal(loaded.vocabularySize, 5)
    assert.deepEqual(ordinalsOf(loaded.candidates(['beatle'], 100)), [0, 1, 2, 3])
    assert.deepEqual(ordinalsOf(loaded.candidates(['help'], 100)), [0, 3])
    assert.throws(() => WordIndex.fromSnapshot(new Map()), { name: 'SnapshotUnusableError' })
  })

  it('indexes a name as its words do: ASCII in one pass, anything else through wordsOf, each word once a file', () => {
    const names = ['Beatles - Help!.mp3', 'help help HELP', 'IMG_20100505_0001.jpg', 'Canción del mar.flac', '日本語の歌 2010.mp3',
      '  --  ', '', 'a.b.c a', 'x1y2 x1y2.z3', 'ﬁlm Ａbc.mkv', 'tab\tand\nnewline', ...Array.from({ length: 3000 }, (_, index) => `file ${index} group${index % 50}.txt`)]
    const byName = new WordIndex()
    const byWords = new WordIndex()
    names.forEach((name, ordinal) => {
      const normalized = normalizeText(name)
      byName.addName(ordinal, normalized)
      byWords.add(ordinal, wordsOf(normalized))
    })
    byName.prepare()
    byWords.prepare()
    assert.equal(byName.vocabularySize, byWords.vocabularySize)
    const queries = ['help', 'beat', 'mp3', '0505', 'cancion', '日本', '2010', 'film', 'abc', 'a', 'x1y2', 'z3', 'group7', 'file', '2999', 'tab', 'newline']
    for (const query of queries) {
      assert.deepEqual(ordinalsOf(byName.candidates([query], 1e9)), ordinalsOf(byWords.candidates([query], 1e9)), query)
    }
    assert.deepEqual(ordinalsOf(byName.candidates(['help'], 1e9)), [0, 1], 'a word twice in a name is one posting')
  })

  it('WordIds finds every word again across growth, ASCII or not', () => {
    const ids = new WordIds()
    const words = [...Array.from({ length: 20_000 }, (_, index) => `w${index}`), 'canción', '日本', 'Upper', 'a-b']
    words.forEach((word, id) => { ids.set(word, id) })
    words.forEach((word, id) => { assert.equal(ids.get(word), id, word) })
    assert.equal(ids.get('w20000'), undefined)
    assert.equal(ids.get(''), undefined)
    const text = 'xx w123 yy'
    let hash = ids.initialHash
    for (const character of 'w123') {
      hash = WordIds.mix(hash, character.charCodeAt(0))
    }
    assert.equal(ids.findRange(text, 3, 7, hash), 123, 'a range of a name finds the same word')
  })
})
