import assert from 'node:assert/strict'
import { appendFile, rm, truncate, utimes } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { encodeManifest, pieceCount, PROTOCOL, verifyPiece } from '../../protocols/file/index.ts'
import { encodeResponse, ResponseStatus } from '../../protocols/file/messages.ts'
import { createFileNode, createRogueNode, createShareFolder, introduce, waitFor } from '../fixtures/file-nodes.ts'
import type { Manifest, PieceData } from '../../protocols/file/index.ts'
import type { FileNode, ShareFolder, SharedFile } from '../fixtures/file-nodes.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

const MiB = 1024 * 1024

async function collect (pieces: AsyncIterable<PieceData>): Promise<PieceData[]> {
  const all: PieceData[] = []
  for await (const piece of pieces) {
    all.push(piece)
  }
  return all
}

function concat (pieces: PieceData[]): Uint8Array {
  return Buffer.concat(pieces.map(piece => piece.bytes))
}

describe('/peerit/file/1.0', () => {
  let folder: ShareFolder
  let server: FileNode
  let client: FileNode
  let file: SharedFile

  before(async () => {
    folder = await createShareFolder()
    file = await folder.add('five.bin', 5 * MiB + 12_345)
    server = await createFileNode({ lookup: folder.lookup, maxPiecesPerRequest: 4 })
    client = await createFileNode({ maxPiecesPerRequest: 4 })
    await introduce(client, server)
  })

  after(async () => {
    await client?.stop()
    await server?.stop()
    await folder?.remove()
  })

  it('fetches a manifest that matches its content id', async () => {
    const manifest = await client.services.peeritFile.getManifest(server.peerId, file.contentId)
    assert.deepEqual(manifest, file.manifest)
  })

  it('streams pieces equal to the file, in order, the last one short', async () => {
    const served = server.services.peeritFile.stats.requestsServed
    const pieces = await collect(client.services.peeritFile.getPieces(server.peerId, file.contentId, file.manifest, 0, pieceCount(file.manifest)))
    assert.deepEqual(pieces.map(piece => piece.index), [0, 1, 2, 3, 4, 5])
    assert.equal(pieces[5].bytes.byteLength, 12_345)
    assert.ok(pieces.every(piece => verifyPiece(file.manifest, piece.index, piece.bytes)))
    assert.deepEqual(concat(pieces), Buffer.from(file.bytes))
    // Six pieces with a limit of four per request: two requests.
    assert.equal(server.services.peeritFile.stats.requestsServed - served, 2)
  })

  it('streams a range from the middle', async () => {
    const pieces = await collect(client.services.peeritFile.getPieces(server.peerId, file.contentId, file.manifest, 2, 3))
    assert.deepEqual(pieces.map(piece => piece.index), [2, 3, 4])
    assert.deepEqual(concat(pieces), Buffer.from(file.bytes.subarray(2 * MiB, 5 * MiB)))
  })

  it('answers an id it does not share with NotFoundError', async () => {
    const notFound = server.services.peeritFile.stats.notFound
    await assert.rejects(client.services.peeritFile.getManifest(server.peerId, 'ab'.repeat(32)), { name: 'NotFoundError', message: /does not share/ })
    assert.equal(server.services.peeritFile.stats.notFound, notFound + 1)
  })

  it('answers FileUnavailableError once a shared file changed or vanished', async () => {
    const changed = await folder.add('changed.bin', 100_000)
    await appendFile(changed.path, 'more')
    await assert.rejects(client.services.peeritFile.getManifest(server.peerId, changed.contentId), { name: 'FileUnavailableError' })
    const touched = await folder.add('touched.bin', 100_000)
    await utimes(touched.path, new Date(), new Date(Date.now() + 5000))
    await assert.rejects(collect(client.services.peeritFile.getPieces(server.peerId, touched.contentId, touched.manifest, 0, 1)), { name: 'FileUnavailableError', code: 'ERR_FILE_UNAVAILABLE' })
    const vanished = await folder.add('vanished.bin', 100_000)
    await rm(vanished.path)
    await assert.rejects(collect(client.services.peeritFile.getPieces(server.peerId, vanished.contentId, vanished.manifest, 0, 1)), { name: 'FileUnavailableError' })
  })

  it('answers BAD_REQUEST to more pieces than the limit', async () => {
    const greedy = await createFileNode({ maxPiecesPerRequest: 100 })
    after(async () => { await greedy.stop() })
    await introduce(greedy, server)
    const rejected = server.services.peeritFile.stats.rejected
    await assert.rejects(collect(greedy.services.peeritFile.getPieces(server.peerId, file.contentId, file.manifest, 0, 6)), { name: 'ProtocolError', message: /BAD_REQUEST/ })
    assert.equal(server.services.peeritFile.stats.rejected, rejected + 1)
  })

  it('checks its arguments before it dials', async () => {
    await assert.rejects(client.services.peeritFile.getManifest(server.peerId, 'AB'.repeat(32)), { name: 'InvalidParametersError' })
    await assert.rejects(collect(client.services.peeritFile.getPieces(server.peerId, file.contentId, file.manifest, 5, 2)), { name: 'InvalidParametersError' })
  })

  it('aborts a request with garbage bytes and keeps serving', async () => {
    const rejected = server.services.peeritFile.stats.rejected
    for (const garbage of [Uint8Array.from([5, 0xff, 0xff, 0xff, 0xff, 0xff]), Uint8Array.from([0x7f, ...new Uint8Array(127)])]) {
      const stream = await client.dialProtocol(server.peerId, PROTOCOL)
      stream.send(garbage)
      await stream.close()
      // The server resets the stream: no byte comes back, the read fails or ends empty.
      const received = await readAll(stream).catch(() => new Uint8Array(0))
      assert.equal(received.byteLength, 0)
    }
    await waitFor(() => server.services.peeritFile.stats.rejected === rejected + 2, 20_000, 'both malformed requests to be counted')
    const manifest = await client.services.peeritFile.getManifest(server.peerId, file.contentId)
    assert.equal(manifest.size, file.bytes.byteLength)
  })

  it('answers BusyError above the per-peer limit, then serves again', async () => {
    const busyServer = await createFileNode({ lookup: folder.lookup, maxConcurrentPerPeer: 1 })
    after(async () => { await busyServer.stop() })
    await introduce(client, busyServer)
    const first = client.services.peeritFile.getPieces(busyServer.peerId, file.contentId, file.manifest, 0, 4)
    assert.equal((await first.next()).value?.index, 0)
    await assert.rejects(client.services.peeritFile.getManifest(busyServer.peerId, file.contentId), { name: 'BusyError', code: 'ERR_BUSY' })
    assert.equal(busyServer.services.peeritFile.stats.busy, 1)
    // Leaving the loop early frees the slot at once.
    await first.return(undefined)
    await waitFor(() => busyServer.services.peeritFile.stats.active === 0, 20_000, 'the slot to be freed')
    assert.deepEqual(await client.services.peeritFile.getManifest(busyServer.peerId, file.contentId), file.manifest)
  })

  it('aborts a reader that stops reading, freeing the slot', async () => {
    const big = await folder.add('big.bin', 48 * MiB)
    const impatient = await createFileNode({ lookup: folder.lookup, timeoutMs: 500 })
    const slow = await createFileNode({ highWaterMark: MiB })
    after(async () => { await slow.stop(); await impatient.stop() })
    await introduce(slow, impatient)
    const pieces = slow.services.peeritFile.getPieces(impatient.peerId, big.contentId, big.manifest, 0, pieceCount(big.manifest))
    assert.equal((await pieces.next()).value?.index, 0)
    // The client stops pulling: its buffer fills, it pauses, the server's sends stall.
    await waitFor(() => impatient.services.peeritFile.stats.aborted === 1, 30_000, 'the server to abort the stalled request')
    assert.equal(impatient.services.peeritFile.stats.active, 0)
    assert.ok(impatient.services.peeritFile.stats.bytesServed < big.bytes.byteLength)
    await assert.rejects(collect(pieces), { name: 'StreamResetError' })
  })

  it('aborts a transfer whose file shrinks mid-way, and keeps serving', async () => {
    const shrinking = await folder.add('shrinking.bin', 48 * MiB)
    const sharer = await createFileNode({ lookup: folder.lookup })
    const reader = await createFileNode({ highWaterMark: MiB })
    after(async () => { await reader.stop(); await sharer.stop() })
    await introduce(reader, sharer)
    const pieces = reader.services.peeritFile.getPieces(sharer.peerId, shrinking.contentId, shrinking.manifest, 0, pieceCount(shrinking.manifest))
    assert.equal((await pieces.next()).value?.index, 0)
    // Back-pressure holds the server well before the end of the file, so its next reads hit the cut.
    await truncate(shrinking.path, MiB)
    await assert.rejects(collect(pieces), { name: 'StreamResetError' })
    await waitFor(() => sharer.services.peeritFile.stats.aborted === 1, 20_000, 'the server to abort the transfer')
    assert.equal(sharer.services.peeritFile.stats.requestsServed, 0)
    assert.deepEqual(await reader.services.peeritFile.getManifest(sharer.peerId, file.contentId), file.manifest)
  })

  it('stops when the caller aborts', async () => {
    const controller = new AbortController()
    const pieces = client.services.peeritFile.getPieces(server.peerId, file.contentId, file.manifest, 0, 4, { signal: controller.signal })
    assert.equal((await pieces.next()).value?.index, 0)
    controller.abort()
    await assert.rejects(collect(pieces), { name: 'AbortError' })
    await waitFor(() => server.services.peeritFile.stats.active === 0, 20_000, 'the server to free the slot')
  })

  describe('against a lying peer', () => {
    const rogues: Libp2p[] = []
    after(async () => { await Promise.all(rogues.map(async rogue => rogue.stop())) })

    /** A peer that reads the request, answers with `respond`, then closes. */
    async function liar (respond: (stream: Stream) => Promise<void> | void): Promise<Libp2p> {
      const rogue = await createRogueNode(async (stream) => {
        const lp = lpStream(stream, { maxDataLength: 64 })
        await lp.read()
        const raw = lp.unwrap()
        await respond(raw)
        await raw.close().catch(() => {})
      })
      rogues.push(rogue)
      await introduce(client, rogue)
      return rogue
    }

    const ok = encodeResponse({ status: ResponseStatus.OK })

    it('rejects a forged manifest', async () => {
      const forged: Manifest = { ...file.manifest, pieceHashes: new Uint8Array(file.manifest.pieceHashes.byteLength) }
      const bytes = encodeManifest(forged)
      const rogue = await liar(stream => {
        stream.send(ok)
        stream.send(Uint8Array.from([bytes.byteLength & 0x7f | 0x80, bytes.byteLength >> 7]))
        stream.send(bytes)
      })
      await assert.rejects(client.services.peeritFile.getManifest(rogue.peerId, file.contentId), { name: 'InvalidManifestError' })
    })

    it('rejects more bytes than the pieces asked for', async () => {
      const rogue = await liar(stream => {
        stream.send(ok)
        stream.send(file.bytes.subarray(0, MiB + 1))
      })
      const pieces = client.services.peeritFile.getPieces(rogue.peerId, file.contentId, file.manifest, 0, 1)
      await assert.rejects(collect(pieces), { name: 'ProtocolError', message: /more bytes/ })
    })

    it('rejects fewer bytes than the pieces need', async () => {
      const rogue = await liar(stream => {
        stream.send(ok)
        stream.send(file.bytes.subarray(0, MiB + 10))
      })
      await assert.rejects(collect(client.services.peeritFile.getPieces(rogue.peerId, file.contentId, file.manifest, 0, 2)), { name: 'ProtocolError', message: /ended/ })
    })

    it('hands over wrong bytes of the right length, which then fail verification', async () => {
      const rogue = await liar(stream => {
        stream.send(ok)
        stream.send(new Uint8Array(MiB))
      })
      const [piece] = await collect(client.services.peeritFile.getPieces(rogue.peerId, file.contentId, file.manifest, 0, 1))
      assert.equal(piece.bytes.byteLength, MiB)
      assert.equal(verifyPiece(file.manifest, 0, piece.bytes), false)
    })

    it('rejects a garbage header and an oversized one', async () => {
      const garbage = await liar(stream => { stream.send(Uint8Array.from([2, 0x08, 0x63])) })
      await assert.rejects(client.services.peeritFile.getManifest(garbage.peerId, file.contentId), { name: 'ProtocolError' })
      const oversized = await liar(stream => { stream.send(Uint8Array.from([0xff, 0xff, 0x03])) })
      await assert.rejects(client.services.peeritFile.getManifest(oversized.peerId, file.contentId), { name: 'ProtocolError', message: /over the limit/ })
    })

    it('times out on a peer that stalls mid-piece', async () => {
      const staller = await liar(async stream => {
        stream.send(ok)
        stream.send(new Uint8Array(1000))
        await new Promise(resolve => stream.addEventListener('close', resolve))
      })
      const patient = await createFileNode({ timeoutMs: 300 })
      after(async () => { await patient.stop() })
      await introduce(patient, staller)
      await assert.rejects(collect(patient.services.peeritFile.getPieces(staller.peerId, file.contentId, file.manifest, 0, 1)), { name: 'TimeoutError', message: /no data moved/ })
    })
  })
})

async function readAll (stream: Stream): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) {
    chunks.push(chunk.subarray())
  }
  return Buffer.concat(chunks)
}
