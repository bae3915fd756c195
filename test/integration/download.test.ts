import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

async function sha256 (path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

/**
 * A star: three providers P1..P3 around a downloader D. P1..P3 all share
 * `big.bin` (so D can draw from all three); each also shares files of its own.
 */
describe('downloads through the peerit CLI', () => {
  const network = new PeerNetwork()
  const providers: PeerDir[] = []
  const providerIds: string[] = []
  let d: PeerDir
  const big = randomBytes(24 * 1024 * 1024)
  const bigHash = createHash('sha256').update(big).digest('hex')

  before(async () => {
    for (let i = 0; i < 3; i++) {
      const peer = await network.peer()
      await mkdir(peer.sharedDir, { recursive: true })
      await writeFile(join(peer.sharedDir, 'big.bin'), big)
      await writeFile(join(peer.sharedDir, `only-on-${i}.txt`), `file of provider ${i}\n`.repeat(1000))
      await writeFile(join(peer.sharedDir, 'report.pdf'), `report version ${i}`)
      providers.push(peer)
    }
    const addresses: string[] = []
    for (const peer of providers) {
      const started = await peer.start()
      providerIds.push(started.peerId)
      addresses.push(hostPort(started.addresses[0]))
      await peer.json(['sync'])
    }
    d = await network.peer({ primary_peer_url: addresses[0], secondary_peer_url: addresses[1] })
    await d.start()
    await d.json(['connect', addresses[2]])
    await eventually(async () => (await d.json(['status'])).connectedPeers === 3, { what: 'D connected to all three' })
    const fetched = await d.json(['fetch', '--ttl', '1'])
    assert.equal(fetched.peersReached, 3)
  })

  after(async () => { await network.close() })

  it('a file held by three peers comes from all three, verified', async () => {
    const [result] = await d.json(['download', 'big.bin'], { timeoutMs: 120_000 })
    assert.equal(result.name, 'big.bin')
    assert.equal(result.size, big.length)
    assert.equal(result.path, join(d.downloadDir, 'big.bin'))
    assert.equal(await sha256(result.path), bigHash)
    assert.deepEqual([...result.providers].sort(), [...providerIds].sort())
  })

  it('downloads by name, several ids and id prefixes; bytes equal the source', async () => {
    const files = await d.json(['list', 'files'])
    const byName = new Map(files.map((f: any) => [f.name, f]))
    const one: any = byName.get('only-on-1.txt')
    const two: any = byName.get('only-on-2.txt')
    const results = await d.json(['download', '-i', one.id, two.id.slice(0, 10)])
    assert.deepEqual(results.map((r: any) => r.name).sort(), ['only-on-1.txt', 'only-on-2.txt'])
    for (const r of results) {
      const index = r.name === 'only-on-1.txt' ? 1 : 2
      assert.equal(await sha256(r.path), await sha256(join(providers[index].sharedDir, r.name)))
      assert.deepEqual(r.providers, [providerIds[index]])
    }
    const [byNameResult] = await d.json(['download', 'only-on-0.txt'])
    assert.equal(await sha256(byNameResult.path), await sha256(join(providers[0].sharedDir, 'only-on-0.txt')))
  })

  it('several files with the same name: lists them with ids and exits 4', async () => {
    const result = await d.run(['download', 'report.pdf'])
    assert.equal(result.code, 4)
    assert.match(result.stderr, /-i <id>/)
    assert.equal(result.stderr.match(/report\.pdf/g)?.length, 4, result.stderr)
    // Each copy says who holds it, in the short form `-p` accepts.
    for (const id of providerIds) {
      assert.ok(result.stderr.includes(`held by ${id.slice(0, 8)}…${id.slice(-6)}`), result.stderr)
    }
  })

  it('-p downloads only from the chosen peer', async () => {
    const [result] = await d.json(['download', '-p', providerIds[2], 'report.pdf'])
    assert.deepEqual(result.providers, [providerIds[2]])
    assert.equal(await readFile(result.path, 'utf8'), 'report version 2')
  })

  it('-p asks the peer directly for a file the store does not know', async () => {
    await writeFile(join(providers[1].sharedDir, 'fresh.txt'), 'shared after the fetch')
    await providers[1].json(['sync'])
    const [result] = await d.json(['download', '-p', providerIds[1], 'fresh.txt'])
    assert.equal(await readFile(result.path, 'utf8'), 'shared after the fetch')
  })

  it('a second download of the same name gets "name (1)" and never replaces the first', async () => {
    const [again] = await d.json(['download', '-i', (await d.json(['search', 'only-on-0']))[0].id])
    assert.equal(again.name, 'only-on-0 (1).txt')
    assert.equal(await readFile(join(d.downloadDir, 'only-on-0.txt'), 'utf8'), await readFile(again.path, 'utf8'))
  })

  it('a file already in the shared index is a no-op with a message', async () => {
    const peer = providers[0]
    await peer.json(['connect', (await providers[1].json(['status'])).addresses[0]])
    await peer.json(['fetch', '--ttl', '1'])
    const result = await peer.run(['download', 'big.bin'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /already shared/)
  })

  it('an unknown name says how to find files (exit 4)', async () => {
    const result = await d.run(['download', 'no-such-file.bin'])
    assert.equal(result.code, 4)
    assert.match(result.stderr, /peerit fetch/)
  })

  it('downloads lists nothing in progress once all are done, and keeps the completed ones', async () => {
    const list = await d.json(['downloads'])
    assert.ok(list.length > 0)
    assert.deepEqual(list.filter((entry: any) => entry.status !== 'completed'), [])
    assert.ok(list.every((entry: any) => typeof entry.path === 'string' && entry.received === entry.size), JSON.stringify(list))
  })
})
