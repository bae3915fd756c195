/**
 * Byte-level mutations for fuzzing: take generated valid bytes and break them
 * the ways a hostile or buggy peer would (bit flips, truncations, splices,
 * deletions, duplicated spans, and varints that lie about a length or carry a
 * huge number), plus purely random bytes.
 */
import fc from 'fast-check'

/** One edit of a byte string; positions wrap modulo its length so any edit applies to any input. */
export type Mutation =
  | { op: 'flip', at: number, bit: number }
  | { op: 'truncate', at: number }
  | { op: 'insert', at: number, bytes: Uint8Array }
  | { op: 'delete', at: number, length: number }
  | { op: 'overwrite', at: number, bytes: Uint8Array }
  | { op: 'duplicate', at: number, length: number }
  | { op: 'varint', at: number, value: bigint, replace: boolean }

/** Numbers that make varint readers misbehave: zero, 2^k ± 1 around 7/32/53/64-bit edges, and past 64 bits. */
const EDGE_VARINTS = [0n, 1n, 127n, 128n, 2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 70n]

const position = fc.nat({ max: 1 << 20 })

/** Any single {@link Mutation}. */
export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: position, bit: fc.nat({ max: 7 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant('overwrite' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    op: fc.constant('varint' as const),
    at: position,
    value: fc.oneof(fc.constantFrom(...EDGE_VARINTS), fc.bigInt({ min: 0n, max: 2n ** 80n })),
    replace: fc.boolean()
  })
)

/** Unsigned LEB128 of any size (no 10-byte cap: over-long varints are part of the attack surface). */
export function varint (value: bigint): Uint8Array {
  const bytes: number[] = []
  while (value >= 0x80n) {
    bytes.push(Number(value & 0x7fn) | 0x80)
    value >>= 7n
  }
  bytes.push(Number(value))
  return Uint8Array.from(bytes)
}

function splice (bytes: Uint8Array, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(bytes.byteLength - remove + insert.byteLength)
  out.set(bytes.subarray(0, at), 0)
  out.set(insert, at)
  out.set(bytes.subarray(at + remove), at + insert.byteLength)
  return out
}

/** Applies one mutation; never throws, whatever the input's length. */
export function applyMutation (bytes: Uint8Array, mutation: Mutation): Uint8Array {
  const length = bytes.byteLength
  const at = mutation.at % (length + 1)
  switch (mutation.op) {
    case 'flip': {
      if (length === 0) return bytes
      const out = bytes.slice()
      out[mutation.at % length] ^= 1 << mutation.bit
      return out
    }
    case 'truncate':
      return bytes.slice(0, at)
    case 'insert':
      return splice(bytes, at, 0, mutation.bytes)
    case 'delete':
      return splice(bytes, at, Math.min(mutation.length, length - at))
    case 'overwrite':
      return splice(bytes, at, Math.min(mutation.bytes.byteLength, length - at), mutation.bytes)
    case 'duplicate':
      return splice(bytes, at, 0, bytes.slice(at, at + mutation.length))
    case 'varint': {
      // replace: overwrite the varint that starts here (a length prefix that lies); else insert a new one
      let end = at
      if (mutation.replace) {
        while (end < length && (bytes[end] & 0x80) !== 0) end++
        end = Math.min(end + 1, length)
      }
      return splice(bytes, at, end - at, varint(mutation.value))
    }
  }
}

/** Applies mutations in order. */
export function applyMutations (bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  return mutations.reduce(applyMutation, bytes)
}

/** Valid bytes from `valid`, each broken by 1 to `maxMutations` mutations. */
export function mutated (valid: fc.Arbitrary<Uint8Array>, maxMutations = 4): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutationArbitrary, { minLength: 1, maxLength: maxMutations }))
    .map(([bytes, mutations]) => applyMutations(bytes, mutations))
}

/**
 * The standard fuzz input mix for a decoder whose valid inputs `valid`
 * generates: valid as is, valid then mutated (most weight), and random bytes.
 */
export function fuzzInput (valid: fc.Arbitrary<Uint8Array>, maxRandomBytes = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { arbitrary: valid, weight: 1 },
    { arbitrary: mutated(valid), weight: 6 },
    { arbitrary: fc.uint8Array({ maxLength: maxRandomBytes }), weight: 2 }
  )
}
