import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork, runPeerit } from '../fixtures/daemons.ts'

const MiB = 1024 * 1024

describe('an interrupted download resumes on its own', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('the only provider stopped mid-download and started again: the download completes by itself, verified', { timeout: 240_000 }, async () => {
    const content = randomBytes(6 * MiB)
    // Throttled so the transfer is surely in flight when the provider goes.
    const providerConfig = { limits: { upload_bytes_per_second_per_peer: MiB } }
    const provider = await network.peer(providerConfig)
    await mkdir(provider.sharedDir, { recursive: true })
    await writeFile(join(provider.sharedDir, 'album.zip'), content)
    const started = await provider.start()
    await provider.json(['sync'])
    const address = hostPort(started.addresses[0])
    const downloader = await network.peer({ primary_peer_url: address })
    await downloader.start()
    await eventually(async () => (await downloader.json(['status'])).connectedPeers === 1, { what: 'the downloader to connect' })
    await downloader.json(['fetch', '--ttl', '1'])

    const following = runPeerit(downloader.dir, ['download', 'album.zip', '--json'], { timeoutMs: 200_000 })
    const entry = async (): Promise<any> => (await downloader.json(['downloads'])).find((d: any) => d.name === 'album.zip')
    await eventually(async () => ((await entry())?.received ?? 0) >= MiB, { timeoutMs: 60_000, what: 'the download to be under way' })
    await provider.json(['stop'])

    // With no provider left the download is interrupted; nobody resumes it by hand.
    const interrupted = await eventually(async () => {
      const current = await entry()
      return current?.status === 'interrupted' ? current : undefined
    }, { timeoutMs: 90_000, what: 'the download to be interrupted' })
    assert.ok(interrupted.received < content.length)
    const followed = await following
    assert.equal(followed.code, 1)
    assert.match(followed.stderr, /interrupted, not failed .*\.part file is kept and it resumes by itself/)
    assert.match(followed.stderr, /`peerit downloads`.*`peerit resume album\.zip`/)

    // Back on the same port: the downloader's contact redials it, and the download goes on.
    await provider.writeConfig({ listening_port: Number(address.split(':')[1]), ...providerConfig })
    await provider.start()
    const done = await eventually(async () => {
      const current = await entry()
      return current?.status === 'completed' ? current : undefined
    }, { timeoutMs: 120_000, what: 'the download to resume and complete on its own' })
    assert.equal(createHash('sha256').update(await readFile(done.path)).digest('hex'), createHash('sha256').update(content).digest('hex'))
    assert.match(await downloader.log(), /download resumed: "album\.zip"/)
  })
})
