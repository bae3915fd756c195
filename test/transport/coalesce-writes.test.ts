import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { AbstractMessageStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { coalesceWrites, LARGE_BUFFER_BYTES, MAX_COALESCED_BYTES, TLS_RECORD_BYTES, writeRuns } from '../../src/transport/coalesce-writes.ts'
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

test('neighbouring small buffers are joined up to the cap, in order', () => {
  const bufs = [bytes(12, 1), bytes(100, 2), bytes(200, 3), bytes(1000, 4), bytes(10, 5)]
  const runs = [...writeRuns(bufs, 312)]
  assert.deepEqual(runs.map(run => run.byteLength), [312, 1000, 10])
  assert.deepEqual(new Uint8ArrayList(...runs).subarray(), new Uint8ArrayList(...bufs).subarray())
})

test('a large buffer is not copied; the header before it takes one record\'s worth of its head', () => {
  const header = bytes(12, 7)
  const payload = bytes(LARGE_BUFFER_BYTES * 4, 1)
  const runs = [...writeRuns([header, payload], MAX_COALESCED_BYTES)]
  assert.deepEqual(runs.map(run => run.byteLength), [TLS_RECORD_BYTES, payload.byteLength - (TLS_RECORD_BYTES - 12)])
  assert.equal(runs[1].buffer, payload.buffer, 'the rest of the payload is a view of it')
  assert.deepEqual(new Uint8ArrayList(...runs).subarray(), new Uint8ArrayList(header, payload).subarray())
})

test('a relayed frame (header and 16 KiB pieces) reaches the transport as one write, byte for byte', () => {
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
