import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { WordIndex } from '../../src/discovered-files/word-index.ts'

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
})
