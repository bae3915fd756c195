import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { describe, it } from 'node:test'
import { DownloadRecords } from '../../src/downloads/records.ts'
import { MiB, sha256, sha256File, withDownloadPeers } from '../fixtures/download-peers.ts'
import type { DownloadEntry, DownloadManager } from '../../src/downloads/download-manager.ts'
import type { DownloadPeers } from '../fixtures/download-peers.ts'

const TIMEOUT = { timeout: 120_000 }

async function partFiles (peers: DownloadPeers): Promise<string[]> {
  return (await readdir(peers.downloadDir).catch(() => [])).filter(name => name.endsWith('.part'))
}

/** A manager whose download of `x.bin` was paused once its first piece was served. */
async function pausedAfterOnePiece (peers: DownloadPeers): Promise<DownloadManager> {
  const manager = peers.manager()
  const frozen = peers.watched.freezeAfter(1)
  manager.start({ contentId: peers.file.contentId, name: 'x.bin' })
  await frozen
  await manager.pause({ all: true })
  peers.watched.thaw()
  return manager
}

describe('pausing, resuming and cancelling downloads', () => {
  it('a detached download runs in the background; pause keeps its part and asks no more; resume completes it', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 8 * MiB }, async (peers) => {
      const statuses: string[] = []
      const manager = peers.manager({ onStatus: entry => statuses.push(entry.status) })
      const frozen = peers.watched.freezeAfter(2)
      const started = manager.start({ contentId: peers.file.contentId, name: 'film.mkv' })
      assert.deepEqual(started, { contentId: peers.file.contentId, name: 'film.mkv', status: 'queued' })
      await frozen
      const [paused] = await manager.pause({ targets: ['film.mkv'] })
      assert.equal(paused.status, 'paused')
      const asked = peers.watched.totalPiecesRequested
      peers.watched.thaw()
      const [entry] = await manager.list()
      assert.equal(entry.status, 'paused')
      assert.equal(entry.received, 2 * MiB, 'the pieces handed over are kept')
      assert.deepEqual(await partFiles(peers), ['film.mkv.part'])
      assert.equal(peers.watched.totalPiecesRequested, asked, 'no more pieces asked for while paused')

      // A manager on the same store (a restart) keeps it paused: resumeAll leaves it alone.
      const restarted = peers.manager()
      assert.deepEqual((await restarted.resumeAll()).completed, [])
      assert.equal((await restarted.list())[0].status, 'paused')

      const [resumed] = await restarted.resume({ targets: [peers.file.contentId.slice(0, 8)] })
      assert.ok(resumed.status === 'queued' || resumed.status === 'active')
      const done = await restarted.download({ contentId: peers.file.contentId, name: 'film.mkv' })
      assert.equal(await sha256File(done.path), sha256(peers.file.bytes))
      const [completed] = await restarted.list()
      assert.equal(completed.status, 'completed')
      assert.equal(completed.path, done.path)
      assert.equal(completed.received, 8 * MiB)
      assert.ok(statuses.includes('queued') && statuses.includes('active') && statuses.includes('paused'), statuses.join())
    })
  })

  it('a caller that leaves pauses its download (Ctrl-C never half-cancels)', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 6 * MiB }, async (peers) => {
      const manager = peers.manager()
      const leaver = new AbortController()
      const frozen = peers.watched.freezeAfter(1)
      const waiting = manager.download({ contentId: peers.file.contentId, name: 'x.bin' }, { signal: leaver.signal })
      await frozen
      leaver.abort()
      await assert.rejects(waiting, { name: 'AbortError' })
      peers.watched.thaw()
      const { eventually } = await import('../fixtures/daemons.ts')
      await eventually(async () => (await manager.list())[0]?.status === 'paused', { what: 'paused' })
      assert.deepEqual(await partFiles(peers), ['x.bin.part'])
    })
  })

  it('cancel stops the transfer and deletes the part file and the state', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 6 * MiB }, async (peers) => {
      const manager = peers.manager()
      const frozen = peers.watched.freezeAfter(2)
      const waiting = manager.download({ contentId: peers.file.contentId, name: 'x.bin' })
      await frozen
      const [cancelled] = await manager.cancel({ all: true })
      peers.watched.thaw()
      assert.equal(cancelled.status, 'cancelled')
      await assert.rejects(waiting, { name: 'DownloadCancelledError' })
      assert.deepEqual(await partFiles(peers), [])
      assert.deepEqual(await manager.states(), [], 'no record left')
      const [entry] = await manager.list()
      assert.equal(entry.status, 'cancelled')
      // A restart does not bring it back.
      assert.deepEqual(await peers.manager().resumeAll(), { completed: [], failed: [] })
    })
  })

  it('cancels a paused download too, and clear drops the history', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 4 * MiB }, async (peers) => {
      const manager = await pausedAfterOnePiece(peers)
      assert.deepEqual(await manager.cancel({ targets: ['x.bin'] }), [{ contentId: peers.file.contentId, name: 'x.bin', status: 'cancelled' }])
      assert.deepEqual(await partFiles(peers), [])
      assert.equal((await manager.list()).length, 1)
      assert.deepEqual(await manager.clear(), [])
    })
  })

  it('an unknown target is not found; an ambiguous one lists its candidates', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: MiB }, async (peers) => {
      const manager = peers.manager()
      await manager.download({ contentId: peers.file.contentId, name: 'x.bin' })
      await assert.rejects(manager.pause({ targets: ['nothing.bin'] }), { code: 'ERR_NOT_FOUND' })
      await assert.rejects(manager.pause({ targets: ['ab'] }), { code: 'ERR_NOT_FOUND', message: /at least 4/ })
      const entries: DownloadEntry[] = [
        { contentId: 'a'.repeat(64), name: 'same.txt', size: 1, received: 0, status: 'paused', providers: 0, bytesPerSecond: 0 },
        { contentId: 'b'.repeat(64), name: 'same.txt', size: 1, received: 0, status: 'paused', providers: 0, bytesPerSecond: 0 }
      ]
      const { selectDownloads } = await import('../../src/downloads/targets.ts')
      assert.throws(() => selectDownloads(entries, { targets: ['same.txt'] }, () => true), (err: any) => {
        assert.equal(err.code, 'ERR_AMBIGUOUS')
        assert.deepEqual(err.candidates.map((c: any) => c.contentId), ['a'.repeat(64), 'b'.repeat(64)])
        return true
      })
      // Pausing a completed download changes nothing and says so.
      assert.deepEqual(await manager.pause({ targets: ['x.bin'] }), [{ contentId: peers.file.contentId, name: 'x.bin', status: 'completed' }])
    })
  })

  it('paces piece requests to the download rate, changed at run time', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 4 * MiB }, async (peers) => {
      const rate = 2 * MiB
      const manager = peers.manager({ bytesPerSecond: rate })
      const started = performance.now()
      const result = await manager.download({ contentId: peers.file.contentId, name: 'x.bin' })
      const seconds = (performance.now() - started) / 1000
      assert.equal(await sha256File(result.path), sha256(peers.file.bytes))
      // 4 MiB at 2 MiB/s, less the quarter-second burst: no faster than ~1.7 s.
      assert.ok(seconds >= 1.6, `took ${seconds.toFixed(2)} s`)
      manager.setRate(0)
      assert.equal(manager.bytesPerSecond, 0)
    })
  })

  it('a cancel racing the end of a download is all or nothing: completed, or cancelled with no file — never half-published', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 3 * MiB }, async (peers) => {
      const manager = peers.manager()
      let cancelling: Promise<Array<{ status: string }>> | undefined
      const downloading = manager.download({ contentId: peers.file.contentId, name: 'x.bin' }, {
        onProgress: (progress) => {
          // Every piece is verified: the publish is next, or under way.
          if (progress.received === progress.size && cancelling == null) {
            cancelling = manager.cancel({ targets: ['x.bin'] })
          }
        }
      })
      const [outcome] = await Promise.allSettled([downloading])
      const [change] = await cancelling!
      const names = await readdir(peers.downloadDir)
      if (outcome.status === 'fulfilled') {
        assert.equal(change.status, 'completed')
        assert.equal(await sha256File(outcome.value.path), sha256(peers.file.bytes))
        assert.deepEqual(names, ['x.bin'])
      } else {
        assert.equal(change.status, 'cancelled')
        assert.equal(outcome.reason.name, 'DownloadCancelledError')
        assert.deepEqual(names, [], 'neither a part file nor a final one')
      }
      assert.deepEqual(await manager.states(), [])
    })
  })

  it('a cancel cut short by a crash is finished at the next start, not resumed', TIMEOUT, async () => {
    await withDownloadPeers({ providers: 1, size: 4 * MiB }, async (peers) => {
      await pausedAfterOnePiece(peers)
      // What a kill -9 right after a cancel's first step leaves: the record says cancelled, the part is still there.
      const records = new DownloadRecords(peers.store.section('downloads'))
      const record = await records.get(peers.file.contentId)
      assert.ok(record != null)
      await records.put({ ...record, status: 'cancelled' })
      const restarted = peers.manager()
      assert.deepEqual(await restarted.resumeAll(), { completed: [], failed: [] })
      assert.deepEqual(await partFiles(peers), [])
      assert.equal(await records.get(peers.file.contentId), undefined)
      assert.equal((await restarted.list())[0].status, 'cancelled')
    })
  })
})
