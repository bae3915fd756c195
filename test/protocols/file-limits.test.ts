import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pieceCount, verifyPiece } from '../../protocols/file/index.ts'
import { BURST_SECONDS, burstBytes, throttledChunkSize, UploadRate } from '../../protocols/file/upload-rate.ts'
import { createFileNode, createShareFolder, introduce } from '../fixtures/file-nodes.ts'
import type { PeeritFileInit } from '../../protocols/file/index.ts'
import type { FileNode, ShareFolder, SharedFile } from '../fixtures/file-nodes.ts'

const KiB = 1024

/** Downloads every piece of `file` from `server`, checks it, and returns the time it took in ms. */
async function timedDownload (client: FileNode, server: FileNode, file: SharedFile): Promise<number> {
  const startedAt = performance.now()
  const manifest = await client.services.peeritFile.getManifest(server.peerId, file.contentId)
  let bytes = 0
  for await (const piece of client.services.peeritFile.getPieces(server.peerId, file.contentId, manifest, 0, pieceCount(manifest))) {
    assert.ok(verifyPiece(manifest, piece.index, piece.bytes), `piece ${piece.index} verifies`)
    bytes += piece.bytes.byteLength
  }
  assert.equal(bytes, file.bytes.byteLength)
  return performance.now() - startedAt
}

describe('UploadRate', () => {
  it('lets one burst go at once, then spaces bookings at the rate, in order', () => {
    const clock = { now: 0 }
    const rate = new UploadRate(1000, 1000, () => clock.now)
    assert.deepEqual([rate.book(1000), rate.book(1000), rate.book(1000), rate.book(500)], [0, 1000, 2000, 2500])
    clock.now = 10_000
    assert.equal(rate.book(1000), 0, 'an idle spell restores the burst')
    assert.equal(rate.book(1000), 1000, 'but never more than one burst')
  })

  it('never sends more than rate × (span + burst) over any span, whatever the stalls', () => {
    const clock = { now: 0 }
    const bytesPerSecond = 40e6
    const chunk = 256 * KiB
    const burst = burstBytes(bytesPerSecond, chunk)
    const rate = new UploadRate(bytesPerSecond, burst, () => clock.now)
    const sent: Array<{ at: number, bytes: number }> = []
    // A sender that stalls now and then (a slow reader, a busy event loop) and then sends as soon as it may.
    for (let i = 0; i < 2000; i++) {
      clock.now += i % 97 === 0 ? 250 : i % 13 === 0 ? 20 : 0
      clock.now += rate.book(chunk)
      sent.push({ at: clock.now, bytes: chunk })
    }
    for (let from = 0; from < sent.length; from += 37) {
      let bytes = 0
      for (let to = from; to < sent.length; to++) {
        bytes += sent[to].bytes
        const spanMs = sent[to].at - sent[from].at
        assert.ok(bytes <= bytesPerSecond * spanMs / 1000 + burst + 1, `${bytes} bytes in ${spanMs} ms from send ${from}`)
      }
    }
  })

  it('allows a burst of a tenth of a second of the rate, at least one chunk', () => {
    assert.equal(BURST_SECONDS, 0.1)
    assert.equal(burstBytes(40e6, 256 * KiB), 4e6)
    assert.equal(burstBytes(400 * KiB, 100 * KiB), 100 * KiB)
    const clock = { now: 0 }
    const rate = new UploadRate(1000, 100, () => clock.now)
    assert.equal(rate.rested, true)
    rate.book(100)
    assert.equal(rate.rested, false, 'a booked burst is owed until its time has passed')
    clock.now = 100
    assert.equal(rate.rested, true)
  })

  it('sizes throttled chunks to a quarter second of the slowest rate, within [16 KiB, readChunkSize]', () => {
    assert.equal(throttledChunkSize(256 * KiB, [0, 0]), 256 * KiB)
    assert.equal(throttledChunkSize(256 * KiB, [400 * KiB, 0]), 100 * KiB)
    assert.equal(throttledChunkSize(256 * KiB, [400 * KiB, 200 * KiB]), 50 * KiB)
    assert.equal(throttledChunkSize(256 * KiB, [1 * KiB]), 16 * KiB)
    assert.equal(throttledChunkSize(256 * KiB, [1 << 30]), 256 * KiB)
  })
})

describe('file server limits on real nodes', () => {
  let folder: ShareFolder
  let file: SharedFile
  const nodes: FileNode[] = []
  const violations: string[] = []

  async function server (init: PeeritFileInit): Promise<FileNode> {
    const node = await createFileNode({ lookup: folder.lookup, ...init })
    nodes.push(node)
    return node
  }

  async function client (of: FileNode): Promise<FileNode> {
    const node = await createFileNode()
    nodes.push(node)
    await introduce(node, of)
    return node
  }

  before(async () => {
    folder = await createShareFolder()
    // 16 pieces of 64 KiB
    file = await folder.add('one-mib.bin', 1024 * KiB, 64 * KiB)
  })
  after(async () => {
    await Promise.all(nodes.map(async node => node.stop()))
    await folder?.remove()
  })

  it('a per-peer upload rate makes a transfer take at least size / rate', async () => {
    const rate = 256 * KiB
    const sender = await server({ uploadBytesPerSecondPerPeer: rate })
    const elapsed = await timedDownload(await client(sender), sender, file)
    // the first chunk (a quarter second's worth) may go at once; half again as slack
    const floor = 0.5 * (file.bytes.byteLength - rate / 4) / rate * 1000
    assert.ok(elapsed >= floor, `took ${Math.round(elapsed)} ms, at least ${Math.round(floor)} expected`)
  })

  it('a per-peer upload rate is not reset by one request after another', async () => {
    const rate = 256 * KiB
    // One chunk each (a quarter second of the rate): a rate made afresh per request would send every one at once.
    const small = await folder.add('one-chunk.bin', 64 * KiB, 16 * KiB)
    const sender = await server({ uploadBytesPerSecondPerPeer: rate })
    const asker = await client(sender)
    const downloads = 8
    const startedAt = performance.now()
    for (let i = 0; i < downloads; i++) {
      await timedDownload(asker, sender, small)
    }
    const elapsed = performance.now() - startedAt
    const floor = 0.9 * (downloads * small.bytes.byteLength - burstBytes(rate, 64 * KiB)) / rate * 1000
    assert.ok(elapsed >= floor, `${downloads} downloads took ${Math.round(elapsed)} ms, at least ${Math.round(floor)} expected`)
  })

  it('a total upload rate is shared by concurrent peers', async () => {
    const rate = 512 * KiB
    const sender = await server({ uploadBytesPerSecond: rate })
    const clients = [await client(sender), await client(sender)]
    const startedAt = performance.now()
    await Promise.all(clients.map(async c => timedDownload(c, sender, file)))
    const elapsed = performance.now() - startedAt
    const floor = 0.5 * (2 * file.bytes.byteLength - rate / 4) / rate * 1000
    assert.ok(elapsed >= floor, `took ${Math.round(elapsed)} ms for both, at least ${Math.round(floor)} expected`)
    assert.equal(sender.services.peeritFile.stats.bytesServed, 2 * file.bytes.byteLength + 2 * file.manifestBytes.byteLength)
  })

  it('answers BUSY over the per-peer request rate, reports it, and serves another peer', async () => {
    const sender = await server({
      // 12 per minute = 2 per 10-second window
      requestsPerMinute: 12,
      onViolation: (peer, kind) => { violations.push(`${peer.toString()}:${kind}`) }
    })
    const greedy = await client(sender)
    const results = await Promise.allSettled([0, 1, 2, 3].map(async () => greedy.services.peeritFile.getManifest(sender.peerId, file.contentId)))
    const busy = results.filter(r => r.status === 'rejected' && (r.reason as Error).name === 'BusyError').length
    assert.ok(busy >= 1 && busy <= 2, `2 of 4 served in a window (one may turn over): ${busy} busy`)
    assert.equal(results.filter(r => r.status === 'fulfilled').length, 4 - busy)
    assert.equal(sender.services.peeritFile.stats.rateLimited, busy)
    assert.deepEqual(violations, Array(busy).fill(`${greedy.peerId.toString()}:rate-limit`))
    const other = await client(sender)
    const manifest = await other.services.peeritFile.getManifest(sender.peerId, file.contentId)
    assert.equal(manifest.size, file.bytes.byteLength)
  })

  it('reports a request past the end as a bad-request violation', async () => {
    const reported: string[] = []
    const sender = await server({ onViolation: (_peer, kind) => { reported.push(kind) } })
    const asker = await client(sender)
    const manifest = await asker.services.peeritFile.getManifest(sender.peerId, file.contentId)
    const tooMany = { ...manifest, size: manifest.size * 2, pieceHashes: Uint8Array.from([...manifest.pieceHashes, ...manifest.pieceHashes]) }
    await assert.rejects(async () => {
      for await (const _piece of asker.services.peeritFile.getPieces(sender.peerId, file.contentId, tooMany, 16, 1)) {
        // nothing arrives
      }
    }, { name: 'ProtocolError' })
    assert.deepEqual(reported, ['bad-request'])
  })
})
