import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFileSync, truncateSync } from 'node:fs'
import { open, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import {
  contentIdOf, decodeManifest, decodeManifestFor, defaultPieceSize, encodeManifest, hashFile,
  MANIFEST_HEADER_LENGTH, MIN_PIECE_SIZE, pieceCount, pieceHash, pieceLength, ReceivedPiece, verifyPiece
} from '../../protocols/file/index.ts'
import { createShareFolder } from '../fixtures/file-nodes.ts'
import type { Manifest } from '../../protocols/file/index.ts'
import type { ShareFolder } from '../fixtures/file-nodes.ts'

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

/** A manifest with arbitrary (not real) piece hashes. */
function manifestOf (size: number, pieceSize: number): Manifest {
  const count = Math.ceil(size / pieceSize)
  const pieceHashes = new Uint8Array(count * 32)
  for (let i = 0; i < pieceHashes.byteLength; i++) {
    pieceHashes[i] = (i * 7 + size) & 0xff
  }
  return { size, pieceSize, pieceHashes }
}

describe('manifest', () => {
  let folder: ShareFolder
  before(async () => { folder = await createShareFolder() })
  after(async () => { await folder.remove() })

  it('encodes and decodes any valid manifest to the same thing', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 64 * 1024 * 1024 }),
      fc.integer({ min: 14, max: 26 }),
      (size, log2) => {
        const manifest = manifestOf(size, 2 ** log2)
        const bytes = encodeManifest(manifest)
        assert.equal(bytes.byteLength, MANIFEST_HEADER_LENGTH + pieceCount(manifest) * 32)
        assert.deepEqual(decodeManifest(bytes), manifest)
      }
    ))
  })

  it('gives the content id of the specification\'s example, byte for byte', () => {
    // README example: the 5-byte file "hello" with the default piece size.
    const manifest = { size: 5, pieceSize: MIN_PIECE_SIZE, pieceHashes: sha256(new TextEncoder().encode('hello')) }
    const bytes = encodeManifest(manifest)
    assert.equal(Buffer.from(bytes).toString('hex'),
      '010000000000000005001000002cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
    assert.equal(contentIdOf(bytes), '3fac567cc84e50b97737bb9f2ad5d3cefa4d605ae12be6b7c832e87828c473bd')
  })

  it('rejects an unknown version', () => {
    const bytes = encodeManifest(manifestOf(10, MIN_PIECE_SIZE))
    bytes[0] = 2
    assert.throws(() => decodeManifest(bytes), { name: 'InvalidManifestError', code: 'ERR_INVALID_MANIFEST' })
  })

  it('rejects piece sizes that are not a power of two or out of bounds', () => {
    for (const pieceSize of [3 * 1024 * 1024, 8 * 1024, 128 * 1024 * 1024, 0]) {
      const bytes = encodeManifest({ size: 10, pieceSize, pieceHashes: new Uint8Array(32) })
      assert.throws(() => decodeManifest(bytes), { name: 'InvalidManifestError' }, `piece size ${pieceSize}`)
    }
  })

  it('rejects a length that does not match the piece count', () => {
    const bytes = encodeManifest(manifestOf(3 * MIN_PIECE_SIZE, MIN_PIECE_SIZE))
    assert.throws(() => decodeManifest(bytes.subarray(0, bytes.byteLength - 32)), { name: 'InvalidManifestError' })
    assert.throws(() => decodeManifest(Uint8Array.from([...bytes, 0])), { name: 'InvalidManifestError' })
    assert.throws(() => decodeManifest(bytes.subarray(0, MANIFEST_HEADER_LENGTH - 1)), { name: 'InvalidManifestError' })
  })

  it('rejects a size above 2^53 - 1', () => {
    const bytes = encodeManifest(manifestOf(0, MIN_PIECE_SIZE))
    new DataView(bytes.buffer).setBigUint64(1, 2n ** 53n)
    assert.throws(() => decodeManifest(bytes), { name: 'InvalidManifestError' })
  })

  it('rejects manifest bytes that do not hash to the content id', () => {
    const bytes = encodeManifest(manifestOf(10, MIN_PIECE_SIZE))
    const other = encodeManifest(manifestOf(11, MIN_PIECE_SIZE))
    assert.deepEqual(decodeManifestFor(contentIdOf(bytes), bytes), decodeManifest(bytes))
    assert.throws(() => decodeManifestFor(contentIdOf(bytes), other), { name: 'InvalidManifestError' })
  })

  it('picks 1 MiB pieces, doubling only past 65,536 pieces', () => {
    assert.equal(defaultPieceSize(0), MIN_PIECE_SIZE)
    assert.equal(defaultPieceSize(64 * 2 ** 30), MIN_PIECE_SIZE)
    assert.equal(defaultPieceSize(64 * 2 ** 30 + 1), 2 * MIN_PIECE_SIZE)
    assert.equal(pieceLength({ size: 2.5 * MIN_PIECE_SIZE, pieceSize: MIN_PIECE_SIZE }, 2), MIN_PIECE_SIZE / 2)
    assert.equal(pieceLength({ size: 2.5 * MIN_PIECE_SIZE, pieceSize: MIN_PIECE_SIZE }, 3), 0)
  })

  it('hashes a file into pieces that verify, the short last one included', async () => {
    const file = await folder.add('pieces.bin', 2 * 65536 + 100, 65536)
    const { manifest } = file
    assert.equal(pieceCount(manifest), 3)
    for (let index = 0; index < 3; index++) {
      const piece = file.bytes.subarray(index * 65536, (index + 1) * 65536)
      assert.deepEqual(pieceHash(manifest, index), sha256(piece))
      assert.ok(verifyPiece(manifest, index, piece))
    }
    const wrong = Uint8Array.from(file.bytes.subarray(0, 65536))
    wrong[17] ^= 1
    assert.equal(verifyPiece(manifest, 0, wrong), false)
    assert.equal(verifyPiece(manifest, 2, file.bytes.subarray(2 * 65536, 2 * 65536 + 99)), false)
    assert.equal(file.contentId, contentIdOf(file.manifestBytes))
  })

  it('verifies a piece given as the chunks it arrived in', async () => {
    const file = await folder.add('chunks.bin', 65536 + 10, 65536)
    const piece = file.bytes.subarray(0, 65536)
    const chunks = [piece.subarray(0, 1), piece.subarray(1, 40_000), piece.subarray(40_000)]
    assert.ok(verifyPiece(file.manifest, 0, chunks))
    const joined = new ReceivedPiece(0, chunks)
    assert.equal(joined.byteLength, 65536)
    assert.deepEqual(joined.bytes, piece)
    // Chunks in another order, one short, or one too many do not verify.
    assert.equal(verifyPiece(file.manifest, 0, [chunks[1], chunks[0], chunks[2]]), false)
    assert.equal(verifyPiece(file.manifest, 0, chunks.slice(0, 2)), false)
    assert.equal(verifyPiece(file.manifest, 0, [...chunks, new Uint8Array(1)]), false)
    assert.ok(verifyPiece(file.manifest, 1, [file.bytes.subarray(65536)]))
  })

  it('gives the same bytes the same content id', async () => {
    const first = await folder.add('same-1.bin', 100_000)
    const second = await folder.add('same-2.bin', first.bytes)
    assert.equal(second.contentId, first.contentId)
  })

  for (const [change, grow] of [['grows', true], ['shrinks', false]] as const) {
    it(`throws FileChangedError when the file ${change} while it is hashed`, async () => {
      const path = join(folder.path, `changing-${change}.bin`)
      await writeFile(path, new Uint8Array(4 * 65536))
      // Change the file right after hashFile's first read: deterministic, no race.
      const probe = await open(path, 'r')
      const prototype = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> }
      await probe.close()
      const read = prototype.read
      let reads = 0
      prototype.read = async function (this: unknown, ...args: unknown[]) {
        const result = await read.apply(this, args)
        if (++reads === 1) {
          if (grow) {
            appendFileSync(path, new Uint8Array(10))
          } else {
            truncateSync(path, 65536)
          }
        }
        return result
      }
      try {
        await assert.rejects(hashFile(path, { pieceSize: 65536 }), { name: 'FileChangedError', code: 'ERR_FILE_CHANGED' })
        assert.ok(reads >= 1)
      } finally {
        prototype.read = read
      }
    })
  }
})
