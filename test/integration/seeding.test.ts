import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

// P ← D ← E and no more: the DHT would connect E to P, which also holds the file.
const LINE = { dht: false }

/**
 * A line P — D — E: only P shares `song.ogg`. Once D has downloaded it, D
 * serves it too (share_downloads), so E, which reaches only D, gets it from D.
 */
describe('seeding completed downloads (share_downloads)', () => {
  const network = new PeerNetwork()
  let p: PeerDir
  let d: PeerDir
  let e: PeerDir
  let dId: string
  const song = randomBytes(3 * 1024 * 1024 + 5)

  before(async () => {
    p = await network.peer(LINE)
    await mkdir(p.sharedDir, { recursive: true })
    await writeFile(join(p.sharedDir, 'song.ogg'), song)
    const startedP = await p.start()
    await p.json(['sync'])
    d = await network.peer({ ...LINE, primary_peer_url: hostPort(startedP.addresses[0]) })
    const startedD = await d.start()
    dId = startedD.peerId
    await eventually(async () => (await d.json(['status'])).connectedPeers === 1, { what: 'D connected to P' })
    await d.json(['fetch', '--ttl', '1'])
    await d.json(['download', 'song.ogg'])
    e = await network.peer({ ...LINE, primary_peer_url: hostPort(startedD.addresses[0]) })
    await e.start()
    await eventually(async () => (await e.json(['status'])).connectedPeers === 1, { what: 'E connected to D' })
  })

  after(async () => { await network.close() })

  it('a completed download is listed as shared and served to other peers', async () => {
    const shared = await d.json(['list', 'shared'])
    assert.deepEqual(shared.map((f: any) => f.name), ['song.ogg'])
    // TTL 1: E asks only D, which answers with the file it downloaded.
    await e.json(['fetch', '--ttl', '1'])
    const [found] = await e.json(['search', 'song'])
    assert.deepEqual(found.providers.map((provider: any) => provider.peerId), [dId])
    const [result] = await e.json(['download', 'song.ogg'])
    assert.deepEqual(result.providers, [dId])
    assert.deepEqual(await readFile(result.path), song)
  })

  it('turning share_downloads off in the config stops it at once, without a restart', async () => {
    const config = JSON.parse(await readFile(join(d.dir, 'peerConf.json'), 'utf8'))
    await writeFile(join(d.dir, 'peerConf.json'), JSON.stringify({ ...config, share_downloads: false }, null, 2))
    await eventually(async () => (await d.json(['list', 'shared'])).length === 0, { what: 'D to stop listing its download as shared' })
    assert.match(await d.log(), /share_downloads is now false/)
    const fetched = await e.json(['fetch', '--ttl', '1'])
    assert.equal(fetched.filesDiscovered, 0, 'D answers the fetch without its download')
    const fromD = await e.run(['download', '-p', dId, '-i', (await e.json(['search', 'song']))[0].id.slice(0, 12)], { timeoutMs: 120_000 })
    assert.notEqual(fromD.code, 0, 'D no longer serves the file')
  })
})
