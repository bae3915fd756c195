import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { decodeMessage11, encodeMessage11 } from '../../protocols/fetch/messages.ts'
import { RoutingTable, TABLE_BYTES } from '../../protocols/fetch/routing-table.ts'
import { wireRequestArbitrary } from './fetch-arbitraries.ts'
import { OutcomeTally, RejectionTrap, outcomeOf } from './guards.ts'
import { fuzzInput, varint } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { WireMessage } from '../../protocols/fetch/messages.ts'

const DECODE_ERRORS = new Set(['InvalidMessageError'])

const routeTableArbitrary = fc.record({
  sequence: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
  bitmap: fc.uint8Array({ minLength: TABLE_BYTES, maxLength: TABLE_BYTES }),
  reach: fc.uint8Array({ minLength: TABLE_BYTES, maxLength: TABLE_BYTES })
}, { requiredKeys: ['sequence', 'bitmap'] })

const messageArbitrary: fc.Arbitrary<WireMessage> = fc.oneof(
  wireRequestArbitrary.map(request => ({ request })),
  routeTableArbitrary.map(routeTable => ({ routeTable }))
)

/** A route table message whose bitmap field (and reach field, when given) has `length` bytes (any length, to probe the size rule). */
function tableMessageOfLength (length: number, sequence = 1, reachLength?: number): Uint8Array {
  const inner = [0x08, ...varint(BigInt(sequence)), 0x12, ...varint(BigInt(length)), ...new Uint8Array(length).fill(0xff)]
  if (reachLength != null) {
    inner.push(0x1a, ...varint(BigInt(reachLength)), ...new Uint8Array(reachLength).fill(0xff))
  }
  return Uint8Array.from([0x12, ...varint(BigInt(inner.length)), ...inner])
}

describe('fuzz: fetch 1.1 messages', () => {
  const trap = new RejectionTrap()
  after(() => {
    trap.assertSilent()
    trap.dispose()
  })

  it('requests and routing tables survive an encode/decode round trip', () => {
    fc.assert(fc.property(messageArbitrary, message => {
      const decoded = decodeMessage11(encodeMessage11(message))
      assert.deepEqual(decodeMessage11(encodeMessage11(decoded)), decoded)
      if (message.routeTable != null) {
        assert.equal(decoded.routeTable?.sequence, message.routeTable.sequence)
        assert.deepEqual(decoded.routeTable?.bitmap, message.routeTable.bitmap)
        assert.deepEqual(decoded.routeTable?.reach, message.routeTable.reach, 'a reach table, or none')
      }
    }), fuzzParameters(Math.min(FUZZ_RUNS, 500)))
  })

  it('a routing table of any size but exactly 8,192 bytes is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 * TABLE_BYTES }).filter(length => length !== TABLE_BYTES), length => {
      assert.throws(() => decodeMessage11(tableMessageOfLength(length)), { name: 'InvalidMessageError' })
    }), fuzzParameters(Math.min(FUZZ_RUNS, 300)))
    assert.equal(decodeMessage11(tableMessageOfLength(TABLE_BYTES)).routeTable?.bitmap.byteLength, TABLE_BYTES)
    assert.throws(() => decodeMessage11(tableMessageOfLength(TABLE_BYTES, 0)), { name: 'InvalidMessageError' }, 'sequence 0')
  })

  it('a reach table of any size but exactly 8,192 bytes is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 3 * TABLE_BYTES }).filter(length => length !== TABLE_BYTES), length => {
      assert.throws(() => decodeMessage11(tableMessageOfLength(TABLE_BYTES, 1, length)), { name: 'InvalidMessageError' })
    }), fuzzParameters(Math.min(FUZZ_RUNS, 300)))
    assert.equal(decodeMessage11(tableMessageOfLength(TABLE_BYTES, 1, TABLE_BYTES)).routeTable?.reach?.byteLength, TABLE_BYTES)
  })

  it('both or neither of request and route_table is refused', () => {
    const request = encodeMessage11({ request: { id: new Uint8Array(16), ttl: 1, hops: 0 } })
    const table = tableMessageOfLength(TABLE_BYTES)
    assert.throws(() => decodeMessage11(Uint8Array.from([...request, ...table])), { name: 'InvalidMessageError' })
    assert.throws(() => decodeMessage11(new Uint8Array(0)), { name: 'InvalidMessageError' })
  })

  it('decodeMessage11 on mutated and random bytes: only InvalidMessageError, and what decodes is in bounds', () => {
    const tally = new OutcomeTally()
    fc.assert(fc.property(fuzzInput(messageArbitrary.map(encodeMessage11)), bytes => {
      let decoded: WireMessage | undefined
      tally.add(outcomeOf(() => { decoded = decodeMessage11(bytes) }, DECODE_ERRORS))
      if (decoded != null) {
        assert.ok((decoded.request == null) !== (decoded.routeTable == null))
        if (decoded.routeTable != null) {
          assert.equal(decoded.routeTable.bitmap.byteLength, TABLE_BYTES)
          assert.ok(decoded.routeTable.sequence >= 1)
          assert.ok(decoded.routeTable.reach == null || decoded.routeTable.reach.byteLength === TABLE_BYTES)
          // a decoded table is always usable
          assert.equal(typeof new RoutingTable(decoded.routeTable.bitmap).mayMatch({ words: ['abc'] }), 'boolean')
        }
        assert.deepEqual(decodeMessage11(encodeMessage11(decoded)), decoded)
      }
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('fetch decodeMessage11'))
  })
})
