import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

/**
 * A line of three daemons, A ← B ← C (each dials the previous one by config),
 * sharing files; C learns everything through the CLI: sync → fetch → search.
 */
// A line A – B – C that stays a line: the DHT's lookups would connect A and C directly.
const LINE = { dht: false }

describe('sharing, fetch and search through the peerit CLI', () => {
  const network = new PeerNetwork()
  let a: PeerDir, b: PeerDir, c: PeerDir
  let ids: { a: string, b: string, c: string }

  before(async () => {
    a = await network.peer(LINE)
    await mkdir(join(a.sharedDir, 'music'), { recursive: true })
    await writeFile(join(a.sharedDir, 'music', 'Canción de Cuna.mp3'), 'lullaby')
    await writeFile(join(a.sharedDir, 'Annual Report.pdf'), 'numbers')
    const startedA = await a.start()
    b = await network.peer({ ...LINE, primary_peer_url: hostPort(startedA.addresses[0]) })
    await mkdir(b.sharedDir, { recursive: true })
    await writeFile(join(b.sharedDir, 'Beatles-Help.mp3'), 'help!')
    const startedB = await b.start()
    c = await network.peer({ ...LINE, primary_peer_url: hostPort(startedB.addresses[0]) })
    const startedC = await c.start()
    ids = { a: startedA.peerId, b: startedB.peerId, c: startedC.peerId }
    await eventually(async () => (await b.json(['status'])).connectedPeers === 2, { what: 'the line to connect' })
  })

  after(async () => { await network.close() })

  it('sync indexes the shared folder and reports counts', async () => {
    await writeFile(join(a.sharedDir, 'holiday.mkv'), 'video bytes')
    const first = await a.json(['sync'])
    assert.equal(first.total, 3)
    assert.equal(first.removed, 0)
    const again = await a.json(['sync', 'files'])
    assert.deepEqual(again, { added: 0, updated: 0, removed: 0, total: 3 })
    const shared = await a.json(['list', 'shared'])
    assert.equal(shared.length, 3)
    for (const file of shared) {
      assert.match(file.id, /^[0-9a-f]{64}$/)
      assert.deepEqual(Object.keys(file).sort(), ['id', 'name', 'size', 'type'])
    }
    assert.equal(shared.find((f: any) => f.name === 'holiday.mkv').type, 'video')
    assert.equal((await a.json(['status'])).sharedFiles, 3)
  })

  it('share copies a file into the shared folder and indexes it', async () => {
    const outside = join(c.dir, 'Sea Photo.JPG')
    await writeFile(outside, 'pixels')
    const shared = await c.json(['share', outside])
    assert.equal(shared.name, 'Sea Photo.JPG')
    assert.equal(shared.size, 6)
    assert.match(shared.id, /^[0-9a-f]{64}$/)
    const list = await c.json(['list', 'shared'])
    assert.deepEqual(list.map((f: any) => f.id), [shared.id])
  })

  it('TTL 1 reaches only the neighbours', async () => {
    await b.json(['sync'])
    const fetched = await c.json(['fetch', '--ttl', '1'])
    assert.equal(fetched.peersReached, 1)
    assert.match(fetched.fetchId, /^[0-9a-f]+$/)
    assert.equal(typeof fetched.durationMs, 'number')
  })

  it('a fetch from C reaches A and B and stores their files with providers', async () => {
    const fetched = await c.json(['fetch'])
    assert.equal(fetched.peersReached, 2)
    assert.equal(fetched.filesDiscovered, 4)
    const files = await c.json(['list', 'files'])
    const byName = new Map(files.map((f: any) => [f.name, f]))
    assert.deepEqual([...byName.keys()].sort(), ['Annual Report.pdf', 'Beatles-Help.mp3', 'Canción de Cuna.mp3', 'holiday.mkv'])
    const help: any = byName.get('Beatles-Help.mp3')
    assert.deepEqual(help.providers.map((p: any) => p.peerId), [ids.b])
    assert.ok(help.providers[0].addresses.length > 0)
    const report: any = byName.get('Annual Report.pdf')
    assert.deepEqual(report.providers.map((p: any) => p.peerId), [ids.a])
    assert.equal((await c.json(['status'])).discoveredFiles, 4)
  })

  it('search matches words and substrings, ignoring case and accents', async () => {
    const names = async (args: string[]): Promise<string[]> => (await c.json(['search', ...args])).map((f: any) => f.name).sort()
    assert.deepEqual(await names(['cancion']), ['Canción de Cuna.mp3'])
    assert.deepEqual(await names(['BEAT']), ['Beatles-Help.mp3'])
    assert.deepEqual(await names(['report', 'annual']), ['Annual Report.pdf'])
    assert.deepEqual(await names(['-t', 'music']), ['Beatles-Help.mp3', 'Canción de Cuna.mp3'])
    assert.deepEqual(await names(['-t', 'pdf']), ['Annual Report.pdf'])
    assert.deepEqual(await names(['help', '-t', 'video']), [])
    assert.deepEqual(await names(['nothing-like-this']), [])
  })

  it('a junk type filter is a usage error', async () => {
    const result = await c.run(['search', '-t', '../../etc'])
    assert.equal(result.code, 2, result.stderr)
  })

  it('search --network floods the query and finds files shared since', async () => {
    await writeFile(join(a.sharedDir, 'New Song.mp3'), 'new')
    await a.json(['sync'])
    const found = await c.json(['search', 'new', 'song', '--network'])
    assert.deepEqual(found.map((f: any) => f.name), ['New Song.mp3'])
  })
})

describe('a daemon started with --watch', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('indexes files as they appear and forgets them as they go', async () => {
    const peer = await network.peer()
    const started = await peer.run(['start', '--watch', '--json'])
    assert.equal(started.code, 0, started.stderr)
    peer.pid = started.json.pid
    await mkdir(peer.sharedDir, { recursive: true })
    await writeFile(join(peer.sharedDir, 'dropped in.txt'), 'no sync needed')
    await eventually(async () => (await peer.json(['list', 'shared'])).some((f: any) => f.name === 'dropped in.txt'),
      { what: 'the new file to be indexed' })
    await rm(join(peer.sharedDir, 'dropped in.txt'))
    await eventually(async () => (await peer.json(['list', 'shared'])).length === 0, { what: 'the removed file to leave the index' })
  })
})
