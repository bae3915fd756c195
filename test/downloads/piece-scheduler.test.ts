import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Bitfield } from '../../src/downloads/bitfield.ts'
import { Budget } from '../../src/downloads/budget.ts'
import { FIRST_REQUEST_PIECES, PieceScheduler, ratedRunLength, worthDuplicate } from '../../src/downloads/piece-scheduler.ts'

describe('Bitfield', () => {
  it('round-trips through base64 and counts set bits once', () => {
    const bits = new Bitfield(11)
    bits.set(0)
    bits.set(10)
    bits.set(10)
    assert.equal(bits.count, 2)
    const copy = Bitfield.fromBase64(11, bits.toBase64())
    assert.deepEqual([...Array(11).keys()].filter(i => copy.has(i)), [0, 10])
    assert.equal(copy.count, 2)
  })

  it('ignores bits past the end and rejects a wrong length', () => {
    const bits = new Bitfield(3, Uint8Array.of(0xff))
    assert.equal(bits.count, 3)
    assert.ok(bits.full)
    assert.throws(() => Bitfield.fromBase64(20, Buffer.of(1).toString('base64')), RangeError)
    assert.throws(() => { bits.set(3) }, RangeError)
  })
})

describe('PieceScheduler', () => {
  it('hands out contiguous runs in order, skipping pieces already verified', () => {
    const done = new Bitfield(10)
    done.set(2)
    const scheduler = new PieceScheduler(done)
    assert.deepEqual(scheduler.claim('a', 4), { first: 0, count: 2 })
    assert.deepEqual(scheduler.claim('b', 4), { first: 3, count: 4 })
    assert.deepEqual(scheduler.claim('a', 4), { first: 7, count: 3 })
  })

  it('gives released pieces to the next provider that asks', () => {
    const scheduler = new PieceScheduler(new Bitfield(6))
    scheduler.claim('a', 3)
    scheduler.claim('b', 3)
    assert.ok(scheduler.markDone(0))
    scheduler.release('a', { first: 1, count: 2 })
    assert.deepEqual(scheduler.claim('c', 3), { first: 1, count: 2 })
  })

  it('in the end game duplicates a run held by one other provider, never by the same one, never thrice', () => {
    const scheduler = new PieceScheduler(new Bitfield(4))
    assert.deepEqual(scheduler.claim('a', 4), { first: 0, count: 4 })
    assert.equal(scheduler.claim('a', 4), undefined)
    assert.deepEqual(scheduler.claim('b', 2), { first: 0, count: 2 })
    assert.deepEqual(scheduler.claim('c', 4), { first: 2, count: 2 })
    assert.equal(scheduler.claim('d', 4), undefined)
  })

  it('in the end game duplicates only the pieces the caller allows', () => {
    const scheduler = new PieceScheduler(new Bitfield(4))
    scheduler.claim('a', 4)
    assert.equal(scheduler.claim('c', 4, () => false), undefined)
    assert.deepEqual(scheduler.claim('b', 4, index => index >= 2), { first: 2, count: 2 })
  })

  it('counts a piece once when two providers deliver it, and says when the file is complete', async () => {
    const scheduler = new PieceScheduler(new Bitfield(2))
    scheduler.claim('a', 2)
    scheduler.claim('b', 2)
    const changed = scheduler.changed()
    assert.equal(scheduler.markDone(0), true)
    await changed
    assert.equal(scheduler.markDone(0), false)
    assert.equal(scheduler.complete, false)
    scheduler.markDone(1)
    assert.equal(scheduler.complete, true)
    assert.equal(scheduler.piecesDone, 2)
  })
})

describe('Budget', () => {
  it('makes a request wait until its amount fits, first come first served', async () => {
    const budget = new Budget(10)
    await budget.acquire(8)
    const order: string[] = []
    const big = budget.acquire(6).then(() => order.push('big'))
    const small = budget.acquire(1).then(() => order.push('small'))
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(order, [], 'neither fits, and the small one does not jump the queue')
    budget.release(8)
    await Promise.all([big, small])
    assert.deepEqual(order, ['big', 'small'])
    assert.equal(budget.used, 7)
  })

  it('lets one request larger than the whole budget through when nothing else is held', async () => {
    const budget = new Budget(4)
    await budget.acquire(9)
    assert.equal(budget.used, 9)
  })

  it('rejects a waiting request when its signal aborts, and frees its turn', async () => {
    const budget = new Budget(2)
    await budget.acquire(2)
    const controller = new AbortController()
    const waiting = budget.acquire(2, controller.signal)
    const next = budget.acquire(1)
    controller.abort(new Error('gave up'))
    await assert.rejects(waiting, /gave up/)
    budget.release(2)
    await next
    assert.equal(budget.used, 1)
  })
})

describe('request sizing and the end game', () => {
  const MiB = 1024 * 1024

  it('asks a provider for about requestSeconds of its rate per lane, at least one piece, a few until it is measured', () => {
    assert.equal(ratedRunLength(0, MiB, 1, 2), FIRST_REQUEST_PIECES)
    assert.equal(ratedRunLength(128 * MiB, MiB, 1, 2), 64)
    assert.equal(ratedRunLength(10e6, MiB, 1, 2), 4)
    assert.equal(ratedRunLength(10e6, MiB, 2, 1), 19)
    assert.equal(ratedRunLength(1000, MiB, 1, 2), 1)
  })

  it('offers the back half of a run still delivering, the front half only once the run went quiet', () => {
    const run = { next: 10, end: 20, lastProgress: 1000 }
    const now = 1500
    assert.deepEqual([...Array(25).keys()].filter(i => i >= run.next && i < run.end && worthDuplicate(run, i, now, 3000)), [15, 16, 17, 18, 19])
    assert.equal(worthDuplicate(run, 10, 4000, 3000), true)
    // one piece left, still moving: not worth racing for
    assert.equal(worthDuplicate({ next: 19, end: 20, lastProgress: 1000 }, 19, now, 3000), false)
    assert.equal(worthDuplicate({ next: 18, end: 20, lastProgress: 1000 }, 19, now, 3000), true)
  })

  it('never duplicates a request still waiting for the download rate', () => {
    assert.equal(worthDuplicate({ next: 0, end: 8, lastProgress: Number.POSITIVE_INFINITY }, 7, 1e12, 3000), false)
  })
})
