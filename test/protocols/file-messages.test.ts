import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse, RequestKind, ResponseStatus } from '../../protocols/file/messages.ts'

/** Strips the varint length prefix a one-byte-length message carries. */
function unframe (framed: Uint8Array): Uint8Array {
  assert.equal(framed[0], framed.byteLength - 1)
  return framed.subarray(1)
}

describe('file protocol messages', () => {
  it('round-trips any request', () => {
    fc.assert(fc.property(
      fc.constantFrom(RequestKind.MANIFEST, RequestKind.PIECES),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat({ max: 2 ** 32 - 1 }),
      fc.nat({ max: 2 ** 32 - 1 }),
      (kind, contentId, first, count) => {
        const request = { kind, contentId, first, count }
        const framed = encodeRequest(request)
        assert.ok(framed.byteLength <= 49)
        assert.deepEqual(decodeRequest(unframe(framed)), request)
      }
    ))
  })

  it('encodes a request exactly as the specification shows', () => {
    const contentId = new Uint8Array(32).fill(0xab)
    const framed = encodeRequest({ kind: RequestKind.PIECES, contentId, first: 300, count: 2 })
    assert.equal(Buffer.from(framed).toString('hex'),
      '29' + '0802' + '1220' + 'ab'.repeat(32) + '18ac02' + '2002')
    assert.equal(Buffer.from(encodeResponse({ status: ResponseStatus.NOT_FOUND })).toString('hex'), '020802')
  })

  it('skips unknown fields, as proto3 requires', () => {
    const body = unframe(encodeRequest({ kind: RequestKind.MANIFEST, contentId: new Uint8Array(32), first: 0, count: 0 }))
    const extended = Uint8Array.from([...body, 0x2a, 0x03, 1, 2, 3, 0x30, 0x05])
    assert.deepEqual(decodeRequest(extended).kind, RequestKind.MANIFEST)
    assert.deepEqual(decodeResponse(Uint8Array.from([0x08, 0x01, 0x10, 0x07])), { status: ResponseStatus.OK })
  })

  it('rejects a known field twice or with the wrong wire type, as the fetch protocol does', () => {
    const body = unframe(encodeRequest({ kind: RequestKind.PIECES, contentId: new Uint8Array(32), first: 1, count: 1 }))
    assert.throws(() => decodeRequest(Uint8Array.from([...body, 0x20, 0x05])), { name: 'ProtocolError', message: /field 4 appears twice/ })
    assert.throws(() => decodeRequest(Uint8Array.from([0x0a, 0x00, ...body])), { name: 'ProtocolError', message: /field 1 has wire type 2/ })
    assert.throws(() => decodeResponse(Uint8Array.from([0x08, 0x01, 0x08, 0x02])), { name: 'ProtocolError', message: /appears twice/ })
  })

  it('rejects a content id that is not 32 bytes', () => {
    for (const length of [0, 31, 33]) {
      const body = Uint8Array.from([0x08, 0x01, 0x12, length, ...new Uint8Array(length)])
      assert.throws(() => decodeRequest(body), { name: 'ProtocolError' })
    }
  })

  it('rejects truncated and garbage bytes', () => {
    const body = unframe(encodeRequest({ kind: RequestKind.PIECES, contentId: new Uint8Array(32), first: 1, count: 1 }))
    assert.throws(() => decodeRequest(body.subarray(0, 20)), { name: 'ProtocolError' })
    assert.throws(() => decodeRequest(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), { name: 'ProtocolError' })
    assert.throws(() => decodeRequest(Uint8Array.from([0x0b, 0x01])), { name: 'ProtocolError' })
  })

  it('rejects a response without a known status', () => {
    assert.throws(() => decodeResponse(new Uint8Array(0)), { name: 'ProtocolError' })
    assert.throws(() => decodeResponse(Uint8Array.from([0x08, 0x09])), { name: 'ProtocolError' })
  })
})
