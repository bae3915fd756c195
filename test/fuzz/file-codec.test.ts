import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { CONTENT_ID_LENGTH } from '../../protocols/file/constants.ts'
import { ResponseStatus, decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../protocols/file/messages.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, outcomeOf } from './guards.ts'
import { fuzzInput } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { FileRequest, FileResponse } from '../../protocols/file/messages.ts'

const DECODE_ERRORS = new Set(['ProtocolError'])

/** The message body: the encoders add a one-byte length prefix (bodies stay under 128 bytes). */
function body (frame: Uint8Array): Uint8Array {
  assert.ok(frame[0] < 0x80)
  return frame.subarray(1)
}

const requestArbitrary: fc.Arbitrary<FileRequest> = fc.record({
  kind: fc.oneof(fc.constantFrom(1, 2), fc.nat({ max: 2 ** 32 - 1 })),
  contentId: fc.uint8Array({ minLength: CONTENT_ID_LENGTH, maxLength: CONTENT_ID_LENGTH }),
  first: fc.nat({ max: 2 ** 32 - 1 }),
  count: fc.nat({ max: 2 ** 32 - 1 })
})
const responseArbitrary: fc.Arbitrary<FileResponse> = fc.record({ status: fc.constantFrom(...Object.values(ResponseStatus)) })

describe('fuzz: file protocol codec', () => {
  const trap = new RejectionTrap()
  const heap = new HeapGuard(64 * 2 ** 20)
  after(() => { trap.dispose() })

  it('decodeRequest on mutated and random bytes: only ProtocolError; what decodes has a 32-byte id and 32-bit numbers', () => {
    const tally = new OutcomeTally()
    fc.assert(fc.property(fuzzInput(requestArbitrary.map(request => body(encodeRequest(request))), 96), bytes => {
      let request: FileRequest | undefined
      tally.add(outcomeOf(() => { request = decodeRequest(bytes) }, DECODE_ERRORS))
      if (request == null) return
      assert.equal(request.contentId.byteLength, CONTENT_ID_LENGTH)
      for (const value of [request.kind, request.first, request.count]) assert.ok(Number.isInteger(value) && value >= 0 && value < 2 ** 32)
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('file decodeRequest'))
  })

  it('decodeResponse on mutated and random bytes: only ProtocolError; what decodes has a known status', () => {
    const tally = new OutcomeTally()
    const known = new Set<number>(Object.values(ResponseStatus))
    fc.assert(fc.property(fuzzInput(responseArbitrary.map(response => body(encodeResponse(response))), 32), bytes => {
      let response: FileResponse | undefined
      tally.add(outcomeOf(() => { response = decodeResponse(bytes) }, DECODE_ERRORS))
      if (response != null) assert.ok(known.has(response.status))
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('file decodeResponse'))
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz file codec: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
