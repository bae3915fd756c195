import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { AbstractMessageStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { coalesceWrites, runEnd } from '../../src/transport/coalesce-writes.ts'
import type { SendResult } from '@libp2p/utils'

/** A message stream whose transport takes `budget` bytes, then reports itself full; it records every write. */
class RecordingStream extends AbstractMessageStream {
  readonly writes: Uint8Array[] = []
  budget: number

  constructor (budget = Infinity) {
    super({ log: defaultLogger().forComponent('test:coalesce') })
    this.budget = budget
  }

  sendData (data: Uint8ArrayList): SendResult {
    let sentBytes = 0
    for (const buf of data) {
      this.writes.push(buf)
      sentBytes += buf.byteLength
      this.budget -= buf.byteLength
      if (this.budget <= 0) {
        return { sentBytes, canSendMore: false }
      }
    }
    return { sentBytes, canSendMore: true }
  }

  sendReset (): void {}
  sendPause (): void {}
  sendResume (): void {}
  async close (): Promise<void> {}
}

function bytes (length: number, fill: number): Uint8Array {
  return new Uint8Array(length).fill(fill)
}

test('neighbouring buffers are grouped up to the cap, and one over the cap stands alone', () => {
  const bufs = [bytes(12, 1), bytes(100, 2), bytes(200, 3), bytes(1000, 4), bytes(10, 5)]
  assert.equal(runEnd(bufs, 0, 312), 3)
  assert.equal(runEnd(bufs, 0, 311), 2)
  assert.equal(runEnd(bufs, 3, 312), 4, 'a buffer bigger than the cap is a run of its own')
  assert.equal(runEnd(bufs, 4, 312), 5)
})

test('a frame header and its payload reach the transport as one write, byte for byte', () => {
  const stream = new RecordingStream()
  coalesceWrites(stream)
  const header = bytes(12, 7)
  const payload = [bytes(16384, 1), bytes(16384, 2), bytes(5, 3)]
  assert.equal(stream.send(new Uint8ArrayList(header, ...payload)), true)
  assert.equal(stream.writes.length, 1)
  assert.deepEqual(stream.writes[0], new Uint8ArrayList(header, ...payload).subarray())
})

test('a single buffer passes through uncopied', () => {
  const stream = new RecordingStream()
  coalesceWrites(stream)
  const only = bytes(4096, 9)
  stream.send(only)
  assert.equal(stream.writes.length, 1)
  assert.equal(stream.writes[0], only)
})

test('a full transport gets one joined run; the rest waits for drain, then goes in runs', async () => {
  const stream = new RecordingStream(10)
  coalesceWrites(stream, 64)
  const bufs = Array.from({ length: 6 }, (_, i) => bytes(20, i))
  assert.equal(stream.send(new Uint8ArrayList(...bufs)), false)
  assert.equal(stream.writes.length, 1)
  assert.equal(stream.writes[0].byteLength, 60, 'three 20-byte buffers fit the 64-byte cap')
  assert.equal(stream.writeBufferLength, 60, 'what the transport did not take stays queued')
  stream.budget = Infinity
  stream.dispatchEvent(new Event('drain'))
  await stream.onDrain()
  await new Promise<void>(resolve => { queueMicrotask(resolve) })
  assert.deepEqual(stream.writes.map(w => w.byteLength), [60, 60])
  assert.deepEqual(new Uint8ArrayList(...stream.writes).subarray(), new Uint8ArrayList(...bufs).subarray())
})

test('streams of other kinds are left alone', () => {
  const plain = { send: () => true }
  coalesceWrites(plain as any)
  assert.deepEqual(Object.keys(plain), ['send'])
})
