import assert from 'node:assert/strict'
import { rm, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

/**
 * A shares two files, one of which is then deleted behind its back (no
 * `watch`, no sync). The first request that finds it gone drops it from the
 * shared index: `list shared` and every later fetch answer leave it out.
 */
describe('a shared file deleted while the node serves it', () => {
  const network = new PeerNetwork()
  let a: PeerDir, b: PeerDir
  let aAddress: string

  before(async () => {
    a = await network.peer()
    await mkdir(a.sharedDir, { recursive: true })
    await writeFile(join(a.sharedDir, 'gone soon.txt'), 'here today')
    await writeFile(join(a.sharedDir, 'stays.txt'), 'here tomorrow')
    aAddress = hostPort((await a.start()).addresses[0])
    await eventually(async () => (await a.json(['list', 'shared'])).length === 2, { what: 'A to index its files' })
    b = await network.peer({ primary_peer_url: aAddress })
    await b.start()
    await eventually(async () => (await b.json(['status'])).connectedPeers === 1, { what: 'B to connect to A' })
    assert.equal((await b.json(['fetch', '--ttl', '1'])).filesDiscovered, 2)
  })

  after(async () => { await network.close() })

  it('the first failed read drops it from the index, and fetch answers stop offering it', async () => {
    await rm(join(a.sharedDir, 'gone soon.txt'))
    const download = await b.run(['download', 'gone soon.txt'], { timeoutMs: 120_000 })
    assert.notEqual(download.code, 0, 'nobody can serve it any more')
    assert.deepEqual((await a.json(['list', 'shared'])).map((f: any) => f.name), ['stays.txt'])
    assert.equal((await a.json(['status'])).sharedFiles, 1)

    const c = await network.peer({ primary_peer_url: aAddress })
    await c.start()
    await eventually(async () => (await c.json(['status'])).connectedPeers === 1, { what: 'C to connect to A' })
    await c.json(['fetch', '--ttl', '1'])
    assert.deepEqual((await c.json(['list', 'files'])).map((f: any) => f.name), ['stays.txt'])
  })

  it('a sync after the file comes back shares it again', async () => {
    await writeFile(join(a.sharedDir, 'gone soon.txt'), 'back again')
    assert.equal((await a.json(['sync'])).total, 2)
  })
})
