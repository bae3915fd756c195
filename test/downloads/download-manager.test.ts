import assert from 'node:assert/strict'
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, it } from 'node:test'
import { lpStream } from '@libp2p/utils'
import { verifyPiece } from '../../protocols/file/manifest.ts'
import { decodeRequest, encodeLength, encodeResponse, RequestKind, ResponseStatus } from '../../protocols/file/messages.ts'
import { recordPieces, DownloadRecords } from '../../src/downloads/records.ts'
import { Store } from '../../src/store.ts'
import { lyingLookup, MiB, sha256, sha256File, spawnDownloader, withDownloadPeers } from '../fixtures/download-peers.ts'
import { createRogueNode, createShareFolder, introduce } from '../fixtures/file-nodes.ts'
import type { DownloadProgress } from '../../src/downloads/download-manager.ts'
import type { DownloadPeers } from '../fixtures/download-peers.ts'

const TIMEOUT = { timeout: 120_000 }

async function assertNoPartFiles (peers: DownloadPeers): Promise<void> {
  const names = await readdir(peers.downloadDir)
  assert.deepEqual(names.filter(name => name.endsWith('.part')), [])
}

describe('DownloadManager', () => {
  it('downloads a file whose bytes equal the source, and forgets it once complete', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 6 * MiB + 777 }, async (peers) => {
      const manager = peers.manager()
      const progress: DownloadProgress[] = []
      const result = await manager.download({ contentId: peers.file.contentId, name: 'movie.mkv' }, { onProgress: p => progress.push(p) })
      assert.equal(result.path, join(peers.downloadDir, 'movie.mkv'))
      assert.equal(result.size, peers.file.bytes.byteLength)
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      assert.deepEqual(result.providers, peers.providerIds)
      assert.equal(peers.watched.totalPiecesRequested, 7, 'each piece asked for once')
      const last = progress.at(-1)
      assert.equal(last?.received, peers.file.bytes.byteLength)
      assert.equal(last?.piecesDone, 7)
      assert.deepEqual(await manager.states(), [])
      await assertNoPartFiles(peers)
    })
  })

  it('downloads an empty file', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 0 }, async (peers) => {
      const result = await peers.manager().download({ contentId: peers.file.contentId, name: 'empty.txt' })
      assert.equal(result.size, 0)
      assert.equal((await readFile(result.path)).byteLength, 0)
    })
  })

  it('draws verified pieces from all three providers of a file', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 3, size: 12 * MiB }, async (peers) => {
      const result = await peers.manager().download({ contentId: peers.file.contentId, name: 'big.iso' })
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      assert.deepEqual([...result.providers].sort(), [...peers.providerIds].sort())
    })
  })

  it('bans a provider that sends wrong pieces and completes from the honest ones', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 2, size: 12 * MiB }, async (peers) => {
      const liar = await lyingLookup(peers.file)
      try {
        const liarId = (await peers.addProvider(liar.lookup)).peerId.toString()
        const result = await peers.manager().download({ contentId: peers.file.contentId, name: 'x.bin' })
        assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
        assert.ok(!result.providers.includes(liarId))
        const asked = peers.watched.requests.get(liarId) ?? 0
        assert.ok(asked >= 1, 'the liar was asked')
        // Its two lanes each made one request; after the first bad piece it is never asked again.
        assert.ok(asked <= 2, `the liar was asked ${asked} times`)
      } finally {
        await liar.remove()
      }
    })
  })

  it('skips a provider whose manifest does not match the content id', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 3 * MiB }, async (peers) => {
      const other = await createShareFolder()
      try {
        const decoy = await other.add('decoy.bin', 3 * MiB)
        const forger = await peers.addProvider(contentId => contentId === peers.file.contentId ? decoy.source : undefined)
        const forgerId = forger.peerId.toString()
        // Asked first.
        peers.providerIds.sort((a, b) => a === forgerId ? -1 : b === forgerId ? 1 : 0)
        const result = await peers.manager().download({ contentId: peers.file.contentId, name: 'x.bin' })
        assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
        assert.equal(forger.services.peeritFile.stats.requestsServed, 1, 'the forger served its manifest')
        assert.equal(peers.watched.requests.get(forgerId), undefined, 'and was never asked for pieces')
      } finally {
        await other.remove()
      }
    })
  })

  it('completes from the other providers when one stops mid-transfer', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 3, size: 12 * MiB }, async (peers) => {
      const manager = peers.manager()
      const midway = peers.watched.freezeAfter(2).then(async () => {
        await peers.providers[0].stop()
        const [state] = await manager.states()
        peers.watched.thaw()
        return state.piecesDone
      })
      const result = await manager.download({ contentId: peers.file.contentId, name: 'x.bin' })
      assert.ok(await midway <= 2, 'the provider stopped with most of the file still to come')
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
    })
  })

  it('gives the pieces of a stalled provider to another one', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 2, size: 6 * MiB }, async (peers) => {
      const [stalled, honest] = peers.providerIds
      peers.watched.stalled.add(stalled)
      const result = await peers.manager({ stallTimeoutMs: 1000 }).download({ contentId: peers.file.contentId, name: 'x.bin' })
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      assert.deepEqual(result.providers, [honest])
      assert.ok((peers.watched.requests.get(stalled) ?? 0) >= 1, 'the stalled provider was asked')
    })
  })

  it('gives up a request that stalls after the stall timeout and asks for its pieces again', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 6 * MiB }, async (peers) => {
      peers.watched.stallNext.set(peers.providerIds[0], 1)
      const result = await peers.manager({ stallTimeoutMs: 2000 }).download({ contentId: peers.file.contentId, name: 'x.bin' })
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      // Six pieces, and the two of the stalled request asked for a second time.
      assert.equal(peers.watched.totalPiecesRequested, 8)
    })
  })

  it('resumes an interrupted download without fetching verified pieces again', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 10 * MiB + 1 }, async (peers) => {
      const pieceCount = 11
      const first = peers.manager()
      const downloading = first.download({ contentId: peers.file.contentId, name: 'x.bin' })
      await peers.watched.freezeAfter(3)
      await first.stop()
      peers.watched.thaw()
      await assert.rejects(downloading, { name: 'AbortError' })
      const [state] = await first.states()
      assert.equal(state.status, 'interrupted')
      assert.equal(state.piecesDone, 3, 'the three pieces handed over were verified and kept')
      assert.equal(state.pieceCount, pieceCount)
      assert.ok(state.partPath.endsWith('x.bin.part'))

      peers.watched.piecesRequested.clear()
      const results = (await peers.manager().resumeAll()).completed
      assert.equal(results.length, 1)
      assert.equal(await sha256File(results[0].path), sha256(peers.file.bytes))
      assert.equal(peers.watched.totalPiecesRequested, pieceCount - state.piecesDone, 'only the missing pieces were asked for')
      await assertNoPartFiles(peers)
    })
  })

  it('after a kill -9 mid-transfer, every recorded piece is on the disk and the download completes', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 2, size: 12 * MiB }, async (peers) => {
      const stateDir = join(dirname(peers.downloadDir), 'crashed-state')
      const child = spawnDownloader({
        stateDir,
        downloadDir: peers.downloadDir,
        contentId: peers.file.contentId,
        providers: peers.providers.map(provider => ({ peerId: provider.peerId.toString(), addresses: provider.getMultiaddrs().map(String) })),
        freezeAfter: 4
      })
      try {
        await child.recorded
      } finally {
        await child.kill()
      }
      const store = new Store(stateDir)
      await store.open()
      try {
        const section = store.section<unknown>('downloads')
        const record = await new DownloadRecords(section).get(peers.file.contentId)
        assert.ok(record != null)
        const recorded = recordPieces(record)
        assert.ok(recorded.count >= 1 && recorded.count < 12, `${recorded.count} pieces recorded`)
        const part = await readFile(record.partPath)
        for (let index = 0; index < 12; index++) {
          if (recorded.has(index)) {
            assert.ok(verifyPiece(peers.file.manifest, index, part.subarray(index * MiB, (index + 1) * MiB)), `recorded piece ${index} is on the disk`)
          }
        }
        const manager = peers.manager({ section })
        assert.equal((await manager.states())[0].status, 'interrupted')
        const [result] = (await manager.resumeAll()).completed
        assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
        const again = peers.watched.indicesRequested.filter(index => recorded.has(index))
        assert.deepEqual(again, [], 'no recorded piece was asked for again')
        assert.equal(new Set(peers.watched.indicesRequested).size, 12 - recorded.count)
        await assertNoPartFiles(peers)
      } finally {
        await store.close()
      }
    })
  })

  it('refuses a response with a byte after the last piece, as the spec says, and does not complete from it', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 0, size: 3000 }, async (peers) => {
      const { file } = peers
      const rogue = await createRogueNode(async (stream) => {
        const lp = lpStream(stream, { maxDataLength: 64 })
        const request = decodeRequest((await lp.read()).subarray())
        const raw = lp.unwrap()
        raw.send(encodeResponse({ status: ResponseStatus.OK }))
        if (request.kind === RequestKind.MANIFEST) {
          raw.send(encodeLength(file.manifestBytes.byteLength))
          raw.send(file.manifestBytes)
        } else {
          raw.send(Buffer.concat([file.bytes, Uint8Array.of(0)]))
        }
        await raw.close().catch(() => {})
      })
      try {
        await introduce(peers.node, rogue)
        peers.providerIds.push(rogue.peerId.toString())
        await assert.rejects(peers.manager().download({ contentId: file.contentId, name: 'x.bin' }), { name: 'NoProvidersError' })
        assert.deepEqual((await readdir(peers.downloadDir)).filter(name => name === 'x.bin'), [])
      } finally {
        await rogue.stop()
      }
    })
  })

  it('fails with NoProvidersError when nobody has the file, and resumes once a provider appears', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 0, size: 2 * MiB }, async (peers) => {
      const manager = peers.manager()
      await assert.rejects(manager.download({ contentId: peers.file.contentId, name: 'x.bin' }), (err: Error & { code?: string }) => {
        assert.equal(err.name, 'NoProvidersError')
        assert.equal(err.code, 'ERR_NO_PROVIDERS')
        // Whoever followed it learns it is kept and goes on by itself, and how to watch or force it.
        assert.match(err.message, /^interrupted, not failed \(no provider could supply/)
        assert.match(err.message, /\.part file is kept and it resumes by itself once a provider is reachable/)
        assert.match(err.message, /`peerit downloads`.*`peerit resume x\.bin`/)
        return true
      })
      const states = await manager.states()
      assert.equal(states.length, 1)
      assert.equal(states[0].status, 'interrupted')
      assert.match(states[0].error ?? '', /no provider/)
      await peers.addProvider(contentId => contentId === peers.file.contentId ? peers.file.source : undefined)
      const [result] = (await manager.resumeAll()).completed
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
    })
  })

  it('an interrupted download without auto-resume says to resume it by hand, its name quoted for the shell', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 0, size: MiB }, async (peers) => {
      const manager = peers.manager({ autoResume: false })
      await assert.rejects(manager.download({ contentId: peers.file.contentId, name: "it's here.bin" }), (err: Error) => {
        assert.equal(err.name, 'NoProvidersError')
        assert.match(err.message, /^interrupted, not failed .*\.part file is kept and resume it with `peerit resume 'it'\\''s here\.bin'` once/)
        assert.doesNotMatch(err.message, /by itself/)
        return true
      })
      assert.equal((await manager.states())[0].status, 'interrupted')
    })
  })

  it('never replaces a file in the download folder: a collision gets "name (1).ext"', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: MiB + 1 }, async (peers) => {
      await mkdir(peers.downloadDir, { recursive: true })
      await writeFile(join(peers.downloadDir, 'song.mp3'), 'mine')
      const result = await peers.manager().download({ contentId: peers.file.contentId, name: 'song.mp3' })
      assert.equal(result.path, join(peers.downloadDir, 'song (1).mp3'))
      assert.equal(await readFile(join(peers.downloadDir, 'song.mp3'), 'utf8'), 'mine')
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
    })
  })

  it('keeps a name from the wire inside the download folder', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 1000 }, async (peers) => {
      const result = await peers.manager().download({ contentId: peers.file.contentId, name: '../../.evil\u0000.sh' })
      assert.equal(dirname(result.path), peers.downloadDir)
      assert.equal(result.name, '_.._.evil.sh')
    })
  })

  it('joins a second download of the same file, and a caller that leaves does not stop it for the others', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 6 * MiB }, async (peers) => {
      const manager = peers.manager()
      const leaver = new AbortController()
      const request = { contentId: peers.file.contentId, name: 'x.bin' }
      const stayed = manager.download(request)
      const left = manager.download(request, { signal: leaver.signal })
      leaver.abort()
      await assert.rejects(left, { name: 'AbortError' })
      const result = await stayed
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      assert.equal(peers.watched.totalPiecesRequested, 6, 'one download, not two')
    })
  })
})
