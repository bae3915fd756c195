import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { describe, it } from 'node:test'
import { IdTable } from '../../src/discovered-files/id-table.ts'

const idOf = (index: number): string => createHash('sha256').update(String(index)).digest('hex')

describe('IdTable', () => {
  it('numbers ids in order and finds each again, across growth', () => {
    const table = new IdTable()
    for (let index = 0; index < 5000; index++) {
      assert.equal(table.add(idOf(index)), index)
    }
    assert.equal(table.size, 5000)
    for (let index = 0; index < 5000; index++) {
      assert.equal(table.get(idOf(index)), index)
      assert.equal(table.idAt(index), idOf(index))
    }
    assert.equal(table.get(idOf(5000)), undefined)
  })

  it('answers undefined for anything that is not a lowercase content id', () => {
    const table = new IdTable()
    table.add(idOf(1))
    assert.equal(table.get(idOf(1).toUpperCase()), undefined)
    assert.equal(table.get(idOf(1).slice(0, 63)), undefined)
    assert.equal(table.get(`${idOf(1)}0`), undefined)
    assert.equal(table.get('zz'.repeat(32)), undefined)
  })

  it('forgets a deleted id, and the same id added again gets a new ordinal', () => {
    const table = new IdTable()
    table.add(idOf(1))
    table.add(idOf(2))
    table.delete(0)
    assert.equal(table.size, 1)
    assert.equal(table.get(idOf(1)), undefined)
    assert.equal(table.get(idOf(2)), 1)
    assert.equal(table.add(idOf(1)), 2)
    assert.equal(table.get(idOf(1)), 2)
  })

  it('finds ids that share their first bytes (hostile peers) without degrading to a scan', () => {
    const table = new IdTable()
    // 100,000 ids equal but for their last bytes: a prefix hash would put them all in one chain.
    for (let index = 0; index < 100_000; index++) {
      table.add(index.toString(16).padStart(64, '0'))
    }
    assert.equal(table.get((99_999).toString(16).padStart(64, '0')), 99_999)
    assert.equal(table.size, 100_000)
  })
})
