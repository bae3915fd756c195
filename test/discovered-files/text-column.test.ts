import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TextColumn } from '../../src/discovered-files/text-column.ts'

const found = (column: TextColumn, part: string): number[] => [...column.containing(Buffer.from(part))]

describe('TextColumn', () => {
  it('keeps strings (UTF-8, empty ones too) across growth of its buffers', () => {
    const column = new TextColumn(Buffer.alloc(4), new Uint32Array(2))
    const texts = ['canción', '', 'beatles help', '日本語の歌', ...Array.from({ length: 3000 }, (_, index) => `file ${index}`)]
    texts.forEach((text, index) => { assert.equal(column.push(text), index) })
    assert.equal(column.length, texts.length)
    texts.forEach((text, index) => { assert.equal(column.at(index), text) })
  })

  it('finds each entry holding a part once, in order, never across two entries', () => {
    const column = new TextColumn()
    for (const text of ['abc', 'cab', 'ab ab ab', 'xa', 'bz', 'canción']) {
      column.push(text)
    }
    assert.deepEqual(found(column, 'ab'), [0, 1, 2])
    // "xa" + "bz" side by side hold "ab" only across the boundary.
    assert.deepEqual(found(column, 'abz'), [])
    assert.deepEqual(found(column, 'ción'), [5])
    assert.deepEqual(found(column, 'nothing'), [])
  })

  it('hides a blanked entry from scans, and round-trips through its blocks', () => {
    const column = new TextColumn()
    column.push('beatles')
    column.push('beat it')
    column.blank(0, 0x0a)
    assert.deepEqual(found(column, 'beat'), [1])
    const { bytes, ends } = column.blocks()
    const copy = TextColumn.fromBlocks(Buffer.from(bytes), Uint32Array.from(ends))
    assert.equal(copy.at(1), 'beat it')
    copy.push('more')
    assert.deepEqual(found(copy, 'e'), [1, 2])
    assert.throws(() => TextColumn.fromBlocks(Buffer.from('abc'), Uint32Array.from([5])), RangeError)
    assert.throws(() => TextColumn.fromBlocks(Buffer.from('abc'), Uint32Array.from([2, 1])), RangeError)
  })
})
