import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { streamPair } from '@libp2p/utils'
import fc from 'fast-check'
import { MAX_FILES_PER_RECORD, WIRE_LIMITS } from '../../protocols/fetch/constants.ts'
import { FrameReader, encodeFrame } from '../../protocols/fetch/framing.ts'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, utf8Length } from '../../protocols/fetch/messages.ts'
import { checkRecord, toProviderRecord } from '../../protocols/fetch/records.ts'
import { PEER_IDS, requestBodyArbitrary, responseBodyArbitrary, wireRequestArbitrary, wireResponseArbitrary } from './fetch-arbitraries.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, outcomeOf, withDeadline } from './guards.ts'
import { fuzzInput, mutated, varint } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { WireRecord, WireRequest, WireResponse } from '../../protocols/fetch/messages.ts'

const limits = { maxFilesPerRecord: MAX_FILES_PER_RECORD }
const DECODE_ERRORS = new Set(['InvalidMessageError'])
const FRAME_ERRORS = new Set(['InvalidMessageError', 'MessageTooLargeError', 'TruncatedMessageError'])

function withinBytes (value: string, min: number, max: number): boolean {
  const length = utf8Length(value)
  return length >= min && length <= max
}

/** Every bound the spec promises for a decoded request. */
function assertRequestInBounds (request: WireRequest): void {
  assert.equal(request.id.byteLength, WIRE_LIMITS.fetchIdBytes)
  assert.ok(Number.isSafeInteger(request.ttl) && request.ttl >= 0)
  assert.ok(Number.isSafeInteger(request.hops) && request.hops >= 0 && request.hops <= WIRE_LIMITS.maxHops)
  if (request.query != null) {
    assert.ok(request.query.words.length <= WIRE_LIMITS.maxQueryWords)
    assert.ok(request.query.words.every(word => withinBytes(word, 1, WIRE_LIMITS.maxWordBytes)))
    assert.ok(request.query.type == null || withinBytes(request.query.type, 1, WIRE_LIMITS.maxTypeBytes))
  }
}

function assertRecordInBounds (record: WireRecord): void {
  assert.ok(withinBytes(record.peerId, 1, WIRE_LIMITS.maxPeerIdBytes))
  assert.ok(record.addresses.length <= WIRE_LIMITS.maxAddresses)
  assert.ok(record.addresses.every(address => address.byteLength >= 1 && address.byteLength <= WIRE_LIMITS.maxAddressBytes))
  assert.ok(record.files.length <= limits.maxFilesPerRecord)
  assert.ok(record.hops >= 1 && record.hops <= WIRE_LIMITS.maxHops)
  for (const file of record.files) {
    assert.equal(file.id.byteLength, WIRE_LIMITS.fileIdBytes)
    assert.ok(withinBytes(file.name, 1, WIRE_LIMITS.maxNameBytes))
    assert.ok(withinBytes(file.type, 1, WIRE_LIMITS.maxTypeBytes))
    assert.ok(Number.isSafeInteger(file.size) && file.size >= 0)
  }
}

function assertResponseInBounds (response: WireResponse): void {
  if (response.duplicate) {
    assert.equal(response.record, undefined)
  } else {
    assertRecordInBounds(response.record)
  }
}

/** What a relay does with a decoded record: the check, then the public form, neither of which may throw. */
function relayChecks (response: WireResponse): void {
  if (response.record == null) return
  const checked = checkRecord(response.record, 1, PEER_IDS[0])
  if (checked.value != null) {
    const provider = toProviderRecord(checked.value)
    assert.ok(provider.hops >= 1)
    assert.ok(provider.files.every(file => /^[0-9a-f]{64}$/.test(file.id)))
  }
}

/** Reads every frame of `chunks` (sent as they are) through a FrameReader; returns frame bodies or the error name. */
async function readFrames (chunks: Uint8Array[], maxMessageBytes: number): Promise<{ frames: Uint8Array[], error?: string }> {
  const [outbound, inbound] = await streamPair()
  const reader = new FrameReader(inbound, maxMessageBytes)
  const frames: Uint8Array[] = []
  try {
    for (const chunk of chunks) outbound.send(chunk)
    await outbound.close()
    const signal = AbortSignal.timeout(5_000)
    for (let frame = await reader.next(signal); frame != null; frame = await reader.next(signal)) {
      frames.push(frame.subarray())
    }
    return { frames }
  } catch (err) {
    const name = (err as Error).name
    if (!FRAME_ERRORS.has(name)) throw err
    return { frames, error: name }
  } finally {
    reader.dispose()
    inbound.abort(new Error('fuzz case done'))
    outbound.abort(new Error('fuzz case done'))
  }
}

/** Cuts `bytes` at the given (sorted, de-duplicated) offsets. */
function chunked (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const offsets = [...new Set(cuts.map(cut => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let start = 0
  for (const offset of [...offsets, bytes.byteLength]) {
    if (offset > start) chunks.push(bytes.subarray(start, offset))
    start = Math.max(start, offset)
  }
  return chunks
}

describe('fuzz: fetch codec', () => {
  const trap = new RejectionTrap()
  const heap = new HeapGuard(64 * 2 ** 20)
  after(() => {
    trap.dispose()
  })

  it('valid requests and responses survive an encode/decode round trip unchanged', () => {
    fc.assert(fc.property(wireRequestArbitrary, request => {
      const decoded = decodeRequest(encodeRequest(request))
      // the encoder writes strings as UTF-8, so compare with what UTF-8 can carry
      assert.deepEqual(decodeRequest(encodeRequest(decoded)), decoded)
      assert.deepEqual(decoded.id, request.id)
      assert.equal(decoded.ttl, request.ttl)
      assert.equal(decoded.hops, request.hops)
    }), fuzzParameters(Math.min(FUZZ_RUNS, 2_000)))
    fc.assert(fc.property(wireResponseArbitrary, response => {
      const decoded = decodeResponse(encodeResponse(response), limits)
      assert.equal(decoded.duplicate, response.duplicate)
      assert.deepEqual(decodeResponse(encodeResponse(decoded), limits), decoded)
    }), fuzzParameters(Math.min(FUZZ_RUNS, 2_000)))
  })

  it('decodeRequest on mutated and random bytes: only InvalidMessageError, and what decodes is in bounds and re-encodes to itself', () => {
    const tally = new OutcomeTally()
    fc.assert(fc.property(fuzzInput(requestBodyArbitrary), bytes => {
      let decoded: WireRequest | undefined
      tally.add(outcomeOf(() => { decoded = decodeRequest(bytes) }, DECODE_ERRORS))
      if (decoded != null) {
        assertRequestInBounds(decoded)
        assert.deepEqual(decodeRequest(encodeRequest(decoded)), decoded)
      }
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('fetch decodeRequest'))
  })

  it('decodeResponse on mutated and random bytes: only InvalidMessageError; what decodes is in bounds and passes the relay checks without throwing', () => {
    const tally = new OutcomeTally()
    fc.assert(fc.property(fuzzInput(responseBodyArbitrary, 2_048), fc.integer({ min: 0, max: 8 }), (bytes, maxFiles) => {
      let decoded: WireResponse | undefined
      tally.add(outcomeOf(() => { decoded = decodeResponse(bytes, limits) }, DECODE_ERRORS))
      if (decoded != null) {
        assertResponseInBounds(decoded)
        relayChecks(decoded)
      }
      // a smaller configured bound only ever refuses more
      outcomeOf(() => {
        const small = decodeResponse(bytes, { maxFilesPerRecord: maxFiles })
        assert.ok((small.record?.files.length ?? 0) <= maxFiles)
      }, DECODE_ERRORS)
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('fetch decodeResponse'))
  })

  it('a record packed with 200,000 tiny repeated addresses is refused by count, not by building them all', () => {
    // field 2 (addresses), one byte each: each entry costs 3 bytes on the wire
    const entry = Uint8Array.from([(2 << 3) | 2, 1, 0x04])
    const recordBody = new Uint8Array(entry.byteLength * 200_000)
    for (let i = 0; i < 200_000; i++) recordBody.set(entry, i * entry.byteLength)
    const response = Uint8Array.from([(2 << 3) | 2, ...varint(BigInt(recordBody.byteLength)), ...recordBody])
    assert.throws(() => decodeResponse(response, limits), { name: 'InvalidMessageError' })
  })

  it('FrameReader on mutated frame streams, chunked anywhere: frames, a clean end, or a documented framing error; never a hang', async () => {
    const tally = new OutcomeTally()
    const stream = fc.array(fc.oneof(requestBodyArbitrary, responseBodyArbitrary).map(encodeFrame), { minLength: 1, maxLength: 4 })
      .map(frames => Uint8Array.from(frames.flatMap(frame => [...frame])))
    const input = fc.oneof({ arbitrary: stream, weight: 1 }, { arbitrary: mutated(stream), weight: 4 }, { arbitrary: fc.uint8Array({ maxLength: 256 }), weight: 1 })
    // at least 100 so the short run still sees every input kind (a stream pair per case costs a few ms); at most
    // 30,000 because @libp2p/utils' streamPair numbers its fake TCP ports from a counter that passes 65535 after ~32,000 pairs
    const runs = Math.min(30_000, Math.max(100, Math.ceil(FUZZ_RUNS / 3)))
    await fc.assert(fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 6 }), fc.constantFrom(64, 1024, 64 * 1024), async (bytes, cuts, maxMessageBytes) => {
      const result = await withDeadline(readFrames(chunked(bytes, cuts), maxMessageBytes), 10_000, 'FrameReader')
      tally.add(result.error ?? 'ok')
      // every frame handed out is exactly what the prefixes said, in order, from the start of the stream
      let offset = 0
      for (const frame of result.frames) {
        const prefix = encodeFrame(frame).subarray(0, encodeFrame(frame).byteLength - frame.byteLength)
        assert.deepEqual(bytes.subarray(offset, offset + prefix.byteLength), prefix)
        assert.deepEqual(bytes.subarray(offset + prefix.byteLength, offset + prefix.byteLength + frame.byteLength), frame)
        assert.ok(frame.byteLength >= 1 && frame.byteLength <= maxMessageBytes)
        offset += prefix.byteLength + frame.byteLength
      }
      if (result.error == null) assert.equal(offset, bytes.byteLength, 'a clean end consumed every byte')
    }), fuzzParameters(runs))
    if (LONG_RUN) console.log(tally.summary('fetch FrameReader'))
  })

  // regression: 'end' fires once, so a reader created after the remote closed (having sent nothing) waited for its signal
  it('a FrameReader created after the remote already closed its side reports a clean end at once', async () => {
    const [outbound, inbound] = await streamPair()
    await outbound.close()
    const deadline = Date.now() + 10_000
    while (inbound.remoteWriteStatus !== 'closed' && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 5))
    const reader = new FrameReader(inbound, 1024)
    try {
      assert.equal(await reader.next(AbortSignal.timeout(10_000)), null)
    } finally {
      reader.dispose()
      inbound.abort(new Error('done'))
    }
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz fetch codec: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
