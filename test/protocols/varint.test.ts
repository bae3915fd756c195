import assert from 'node:assert/strict'
import { it } from 'node:test'
import fc from 'fast-check'
import { checkPrefixByte, encodeVarint, lengthPrefixed, varintLength } from '../../protocols/shared/varint.ts'
import type { PrefixBounds, PrefixStep } from '../../protocols/shared/varint.ts'

/** Feeds a prefix byte by byte; the last step. */
function judge (bytes: Uint8Array, bounds: PrefixBounds): PrefixStep & { used: number } {
  let value = 0
  for (let i = 0; i < bytes.byteLength; i++) {
    const step = checkPrefixByte(value, bytes[i], i, bounds)
    if (step.state !== 'more') {
      return { ...step, used: i + 1 }
    }
    value = step.value
  }
  return { state: 'more', value, used: bytes.byteLength }
}

it('a minimal varint of any length within bounds is read back, using exactly its bytes', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 35 - 1 }), (value) => {
    const bytes = encodeVarint(value)
    assert.equal(bytes.byteLength, varintLength(value))
    assert.deepEqual(judge(Uint8Array.from([...bytes, 0xff]), { maxValue: 2 ** 35, maxBytes: 5 }), { state: 'done', value, used: bytes.byteLength })
  }))
})

it('a prefix is refused at the byte that breaks a rule: too large, too long, not minimal', () => {
  assert.deepEqual(judge(Uint8Array.of(0x81, 0x01), { maxValue: 128, maxBytes: 5 }), { state: 'fault', fault: 'too-large', value: 129, used: 2 })
  assert.deepEqual(judge(Uint8Array.of(0x80, 0x80, 0x80), { maxValue: 2 ** 40, maxBytes: 3 }), { state: 'fault', fault: 'too-long', value: 0, used: 3 })
  assert.deepEqual(judge(Uint8Array.of(0x85, 0x00), { maxValue: 100, maxBytes: 5 }), { state: 'fault', fault: 'not-minimal', value: 5, used: 2 })
  assert.deepEqual(judge(Uint8Array.of(0x00), { maxValue: 100, maxBytes: 5 }), { state: 'done', value: 0, used: 1 }, 'a lone 0 is minimal')
})

it('lengthPrefixed puts the body behind its length', () => {
  assert.deepEqual(lengthPrefixed(Uint8Array.of(7, 8)), Uint8Array.of(2, 7, 8))
  const long = new Uint8Array(300).fill(1)
  assert.deepEqual(lengthPrefixed(long).subarray(0, 2), Uint8Array.of(0xac, 0x02))
  assert.equal(lengthPrefixed(long).byteLength, 302)
})
