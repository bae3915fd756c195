import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import fc from 'fast-check'
import { HASH_LENGTH, MANIFEST_HEADER_LENGTH, PIECE_SIZE_BOUNDS, contentIdOf, decodeManifest, decodeManifestFor, encodeManifest, pieceCount, pieceLength, verifyPiece } from '../../protocols/file/manifest.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, outcomeOf } from './guards.ts'
import { fuzzInput } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { Manifest } from '../../protocols/file/manifest.ts'

const MANIFEST_ERRORS = new Set(['InvalidManifestError'])
const pieceSizeExponents = { min: Math.log2(PIECE_SIZE_BOUNDS.min), max: Math.log2(PIECE_SIZE_BOUNDS.max) }

/** Valid manifests of up to 64 pieces (the decoder's checks do not depend on the count beyond the length). */
const manifestArbitrary: fc.Arbitrary<Manifest> = fc.integer(pieceSizeExponents).chain(exponent => {
  const pieceSize = 2 ** exponent
  return fc.oneof(fc.nat({ max: pieceSize * 64 }), fc.constantFrom(0, 1, pieceSize, pieceSize + 1)).chain(size =>
    fc.uint8Array({ minLength: pieceCount({ size, pieceSize }) * HASH_LENGTH, maxLength: pieceCount({ size, pieceSize }) * HASH_LENGTH })
      .map(pieceHashes => ({ size, pieceSize, pieceHashes })))
})

/** Bytes at a non-zero offset inside a larger buffer, as a slice of a network read would be. */
function atOffset (bytes: Uint8Array, offset: number): Uint8Array {
  const buffer = new Uint8Array(bytes.byteLength + offset + 3)
  buffer.set(bytes, offset)
  return buffer.subarray(offset, offset + bytes.byteLength)
}

describe('fuzz: manifest decoder', () => {
  const trap = new RejectionTrap()
  const heap = new HeapGuard(64 * 2 ** 20)
  after(() => { trap.dispose() })

  it('decodeManifest on mutated and random bytes: only InvalidManifestError, and what decodes is canonical and self-consistent', () => {
    const tally = new OutcomeTally()
    fc.assert(fc.property(fuzzInput(manifestArbitrary.map(encodeManifest), 96), fc.nat({ max: 7 }), fc.nat(), (bytes, offset, index) => {
      let manifest: Manifest | undefined
      tally.add(outcomeOf(() => { manifest = decodeManifest(atOffset(bytes, offset)) }, MANIFEST_ERRORS))
      if (manifest == null) return
      // canonical: the decoded manifest encodes back to the very same bytes (so the content id is stable)
      assert.deepEqual(encodeManifest(manifest), bytes)
      assert.ok(Number.isSafeInteger(manifest.size) && manifest.size >= 0)
      assert.ok(manifest.pieceSize >= PIECE_SIZE_BOUNDS.min && manifest.pieceSize <= PIECE_SIZE_BOUNDS.max)
      assert.equal(manifest.pieceHashes.byteLength, pieceCount(manifest) * HASH_LENGTH)
      assert.equal(MANIFEST_HEADER_LENGTH + manifest.pieceHashes.byteLength, bytes.byteLength)
      // the helpers a download uses on a decoded manifest never throw, whatever index a peer names
      const piece = index % (pieceCount(manifest) + 2)
      assert.ok(pieceLength(manifest, piece) >= 0 && pieceLength(manifest, piece) <= manifest.pieceSize)
      assert.equal(verifyPiece(manifest, piece, new Uint8Array(3)), false)
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('manifest decodeManifest'))
  })

  it('decodeManifestFor accepts bytes only under their own content id', () => {
    fc.assert(fc.property(fuzzInput(manifestArbitrary.map(encodeManifest), 96), fc.boolean(), (bytes, own) => {
      const id = own ? contentIdOf(bytes) : contentIdOf(Uint8Array.from([...bytes, 0]))
      const outcome = outcomeOf(() => decodeManifestFor(id, bytes), MANIFEST_ERRORS)
      if (!own) assert.equal(outcome, 'InvalidManifestError')
      if (outcome === 'ok') assert.deepEqual(encodeManifest(decodeManifest(bytes)), bytes)
    }), fuzzParameters(Math.max(100, Math.ceil(FUZZ_RUNS / 10))))
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz manifest: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
