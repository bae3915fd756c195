import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ReceivedPiece } from '../../protocols/file/index.ts'
import { Bitfield } from '../../src/downloads/bitfield.ts'
import { Budget } from '../../src/downloads/budget.ts'
import { DEFAULT_TUNABLES } from '../../src/downloads/constants.ts'
import { DownloadRate } from '../../src/downloads/download-rate.ts'
import { PartFile } from '../../src/downloads/part-file.ts'
import { PieceFetcher } from '../../src/downloads/piece-fetcher.ts'
import { PieceScheduler } from '../../src/downloads/piece-scheduler.ts'
import { ProviderPool } from '../../src/downloads/provider-pool.ts'
import type { Manifest, PeeritFile, PieceData } from '../../protocols/file/index.ts'
import type { PeerId } from '@libp2p/interface'

const PIECE_SIZE = 16 * 1024
const PIECES = 8

/** A file of random bytes and its manifest, in pieces of 16 KiB. */
function randomFile (): { bytes: Uint8Array, manifest: Manifest } {
  const bytes = randomBytes(PIECE_SIZE * PIECES)
  const pieceHashes = new Uint8Array(32 * PIECES)
  for (let i = 0; i < PIECES; i++) {
    pieceHashes.set(createHash('sha256').update(bytes.subarray(i * PIECE_SIZE, (i + 1) * PIECE_SIZE)).digest(), 32 * i)
  }
  return { bytes, manifest: { size: bytes.byteLength, pieceSize: PIECE_SIZE, pieceHashes } }
}

async function newPeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

describe('PieceFetcher', () => {
  it('counts a piece only once its write has finished, keeps the verified pieces sent before a bad one, and never writes the bad one', async (t) => {
    const { bytes, manifest } = randomFile()
    const [liar, honest] = await Promise.all([newPeerId(), newPeerId()])
    const dir = await mkdtemp(join(tmpdir(), 'peerit-fetcher-'))
    t.after(async () => { await rm(dir, { recursive: true, force: true }) })
    const part = await PartFile.create(dir, 'file.bin', manifest.size)
    t.after(async () => { await part.close() })

    // The liar's writes are held until its bad piece has arrived, so they are still in flight then.
    const badPieceSeen = Promise.withResolvers<void>()
    const written = new Set<number>()
    const writtenBy = new Map<number, string>()
    const write = part.write.bind(part)
    part.write = async (chunks, position) => {
      const piece = Buffer.concat(chunks)
      assert.equal(Buffer.compare(piece, bytes.subarray(position, position + piece.byteLength)), 0, 'only verified bytes are written')
      await badPieceSeen.promise
      await write(chunks, position)
      written.add(position / PIECE_SIZE)
    }
    const file = {
      async * getPieces (peer: PeerId, _contentId: string, _manifest: Manifest, first: number, count: number): AsyncGenerator<PieceData> {
        for (let index = first; index < first + count; index++) {
          // A copy: corrupting it must not touch the source.
          const piece = new Uint8Array(bytes.subarray(index * PIECE_SIZE, (index + 1) * PIECE_SIZE))
          if (peer.equals(liar) && index === 3) {
            piece[0] ^= 0xff
            badPieceSeen.resolve()
          }
          // In two chunks, as a piece spanning received buffers arrives.
          yield new ReceivedPiece(index, [piece.subarray(0, 1000), piece.subarray(1000)])
        }
      }
    } as unknown as PeeritFile

    const log = defaultLogger().forComponent('test:piece-fetcher')
    const tunables = { ...DEFAULT_TUNABLES, maxRequestsPerPeer: 1, piecesPerRequest: PIECES, retryBackoffMs: 10 }
    const rounds = [[liar.toString()], [liar.toString(), honest.toString()]]
    const pool = new ProviderPool({ contentId: 'c'.repeat(64), source: async () => rounds.shift() ?? [honest.toString()], tunables, log })
    const scheduler = new PieceScheduler(new Bitfield(PIECES))
    const fetcher = new PieceFetcher({
      contentId: 'c'.repeat(64),
      manifest,
      file,
      scheduler,
      part,
      pool,
      budget: new Budget(tunables.maxBytesInFlight),
      rate: new DownloadRate(0),
      tunables,
      log,
      onPiece: (index, peer) => {
        assert.ok(written.has(index), `piece ${index} counted before its write finished`)
        writtenBy.set(index, peer)
      }
    })
    await fetcher.run(AbortSignal.timeout(10_000))

    assert.ok(scheduler.complete)
    assert.equal(Buffer.compare(await readFile(part.path), bytes), 0, 'the part file holds exactly the source bytes')
    assert.deepEqual([0, 1, 2].map(index => writtenBy.get(index)), Array(3).fill(liar.toString()), 'the pieces verified before the bad one are kept')
    assert.deepEqual([3, 4, 5, 6, 7].map(index => writtenBy.get(index)), Array(5).fill(honest.toString()), 'the rest come from the honest provider')
  })
})
