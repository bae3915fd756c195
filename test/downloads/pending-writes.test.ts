import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PendingWrites } from '../../src/downloads/pending-writes.ts'

// Each write below ends when the test says so.
const manualWrite = (): PromiseWithResolvers<void> => Promise.withResolvers<void>()

describe('PendingWrites', () => {
  it('keeps at most its bound in flight: add waits for one to finish', async () => {
    const writes = new PendingWrites(2)
    const first = manualWrite()
    const second = manualWrite()
    await writes.add(first.promise)
    let added = false
    const adding = writes.add(second.promise).then(() => { added = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(added, false, 'a second write waits while two are in flight')
    first.resolve()
    await adding
    assert.equal(added, true)
    second.resolve()
    await writes.drain()
  })

  it('throws the first failure from the next add and from drain, after the others settle', async () => {
    const writes = new PendingWrites(4)
    const failing = manualWrite()
    const slow = manualWrite()
    await writes.add(failing.promise)
    await writes.add(slow.promise)
    failing.reject(Object.assign(new Error('disk full'), { name: 'DiskFullError' }))
    await new Promise(resolve => setImmediate(resolve))
    await assert.rejects(writes.add(Promise.resolve()), { name: 'DiskFullError' })
    let drained = false
    const draining = writes.drain().finally(() => { drained = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(drained, false, 'drain waits for the write still in flight')
    slow.resolve()
    await assert.rejects(draining, { name: 'DiskFullError' })
    assert.equal(writes.error?.name, 'DiskFullError')
  })

  it('settled never throws, and waits for writes added while it waits', async () => {
    const writes = new PendingWrites(4)
    const first = manualWrite()
    const second = manualWrite()
    await writes.add(first.promise)
    const settling = writes.settled()
    await writes.add(second.promise)
    first.reject(new Error('lost'))
    await new Promise(resolve => setImmediate(resolve))
    let settled = false
    const done = settling.then(() => { settled = true })
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(settled, false, 'the second write is still in flight')
    second.resolve()
    await done
    assert.equal(writes.error?.message, 'lost')
  })
})
