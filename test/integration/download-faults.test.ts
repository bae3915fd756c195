import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork, runPeerit } from '../fixtures/daemons.ts'
import type { CliResult, PeerDir } from '../fixtures/daemons.ts'

const MiB = 1024 * 1024
/** Providers are throttled so a transfer lasts long enough to be interrupted. */
const UPLOAD_RATE = 2 * MiB

async function sha256 (path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

/** The downloads `peerit downloads` lists that are not finished (it keeps completed ones in its history). */
async function unfinished (peer: PeerDir): Promise<any[]> {
  return (await peer.json(['downloads'])).filter((entry: any) => entry.status !== 'completed' && entry.status !== 'cancelled')
}

/** Starts `peerit download` without waiting for it. */
function downloadInBackground (peer: PeerDir, args: string[]): Promise<CliResult> {
  return runPeerit(peer.dir, ['download', ...args, '--json'], { timeoutMs: 180_000 })
}

/** Waits until a download has verified at least `bytes`; returns its state. */
async function receivedAtLeast (peer: PeerDir, bytes: number): Promise<any> {
  return eventually(async () => {
    const [state] = await unfinished(peer)
    return state != null && state.received >= bytes ? state : undefined
  }, { timeoutMs: 60_000, what: `${bytes} bytes received` })
}

describe('downloads survive killed peers (kill -9)', () => {
  const network = new PeerNetwork()
  const providers: PeerDir[] = []
  const providerIds: string[] = []
  const ports: number[] = []
  let d: PeerDir
  const content = randomBytes(16 * MiB)
  const contentHash = createHash('sha256').update(content).digest('hex')

  before(async () => {
    const addresses: string[] = []
    for (let i = 0; i < 2; i++) {
      const peer = await network.peer({ limits: { upload_bytes_per_second_per_peer: UPLOAD_RATE } })
      await mkdir(peer.sharedDir, { recursive: true })
      await writeFile(join(peer.sharedDir, 'film.mkv'), content)
      await writeFile(join(peer.sharedDir, 'second film.mkv'), content.subarray(0, 15 * MiB))
      const started = await peer.start()
      await peer.json(['sync'])
      providers.push(peer)
      providerIds.push(started.peerId)
      addresses.push(hostPort(started.addresses[0]))
      ports.push(Number(addresses[i].split(':')[1]))
    }
    d = await network.peer({ primary_peer_url: addresses[0], secondary_peer_url: addresses[1] })
    await d.start()
    await eventually(async () => (await d.json(['status'])).connectedPeers === 2, { what: 'D connected to both providers' })
    assert.equal((await d.json(['fetch', '--ttl', '1'])).peersReached, 2)
  })

  after(async () => { await network.close() })

  it('a provider killed mid-transfer: the download completes from the other', async () => {
    const running = downloadInBackground(d, ['film.mkv'])
    await receivedAtLeast(d, 2 * MiB)
    providers[0].kill9()
    const result = await running
    assert.equal(result.code, 0, result.stderr)
    const [done] = result.json
    assert.equal(await sha256(done.path), contentHash)
    assert.ok(done.providers.includes(providerIds[1]))
    assert.deepEqual(await unfinished(d), [])
    // Back on the same port, as a peer with a fixed listening_port would be: D's contact redials it.
    await providers[0].writeConfig({ listening_port: ports[0], limits: { upload_bytes_per_second_per_peer: UPLOAD_RATE } })
    await providers[0].start()
  })

  it('the downloader killed mid-transfer resumes after restart without fetching verified pieces again', async () => {
    const size = 15 * MiB
    const served = async (): Promise<number> => {
      let total = 0
      for (const peer of providers) {
        total += (await peer.json(['status'])).uploadedBytes
      }
      return total
    }
    await eventually(async () => (await d.json(['status'])).connectedPeers === 2, { what: 'D reconnected to the restarted provider' })
    // Slower still (at run time), so the kill surely comes mid-transfer however busy the machine is.
    for (const peer of providers) {
      await peer.json(['limits', '--upload', '512KiB'])
    }
    const running = downloadInBackground(d, ['second film.mkv'])
    const state = await receivedAtLeast(d, 8 * MiB)
    d.kill9()
    await running
    const servedAtKill = await served()
    const partFiles = (await readdir(d.downloadDir)).filter(name => name.endsWith('.part'))
    assert.equal(partFiles.length, 1, 'the partial download stays as a .part file')
    assert.equal((await readdir(d.downloadDir)).includes('second film.mkv'), false, 'nothing under the final name yet')

    await d.start()
    const finalPath = join(d.downloadDir, 'second film.mkv')
    await eventually(async () => (await unfinished(d)).length === 0 && (await readdir(d.downloadDir)).includes('second film.mkv'),
      { timeoutMs: 90_000, what: 'the download to resume at start and complete' })
    assert.equal(await sha256(finalPath), createHash('sha256').update(content.subarray(0, size)).digest('hex'))
    assert.deepEqual((await readdir(d.downloadDir)).filter(name => name.endsWith('.part')), [])
    // Pieces verified (and persisted) before the kill are not fetched again: what the providers served
    // after the kill is what was missing, give or take the pieces that were in flight when it died.
    const servedAfterKill = (await served()) - servedAtKill
    const inFlightSlack = 6 * MiB
    assert.ok(servedAfterKill <= size - state.received + inFlightSlack,
      `served ${servedAfterKill} bytes after the restart, ${state.received} of ${size} were verified before the kill`)
  })
})

describe('a -p download resumed after a restart', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('still reaches its chosen provider when that provider is not a neighbour', async () => {
    // A ← B ← C in a line: A learns C's file (and address) only through the fetch.
    const a = await network.peer()
    const startedA = await a.start()
    const b = await network.peer({ primary_peer_url: hostPort(startedA.addresses[0]) })
    const startedB = await b.start()
    const c = await network.peer({ primary_peer_url: hostPort(startedB.addresses[0]) })
    await mkdir(c.sharedDir, { recursive: true })
    await writeFile(join(c.sharedDir, 'far.txt'), 'from two hops away')
    const startedC = await c.start()
    const cPort = Number(hostPort(startedC.addresses[0]).split(':')[1])
    await c.json(['sync'])
    await eventually(async () => (await b.json(['status'])).connectedPeers === 2, { what: 'the line to connect' })
    assert.equal((await a.json(['fetch'])).peersReached, 2)
    // C goes away: the download fails and is kept for later.
    await c.json(['stop'])
    const failed = await a.run(['download', '-p', startedC.peerId, 'far.txt'], { timeoutMs: 120_000 })
    assert.notEqual(failed.code, 0)
    assert.equal((await a.json(['downloads']))[0]?.status, 'interrupted')
    // A restarts (its address book is gone), C comes back on its port: the resume must find C again.
    await a.json(['stop'])
    await a.start()
    await c.writeConfig({ listening_port: cPort, primary_peer_url: hostPort(startedB.addresses[0]) })
    await c.start()
    // the daemon retries on its own, so `--resume` either finishes it or finds it finished
    const resume = await a.run(['download', '--resume'], { timeoutMs: 120_000 })
    assert.equal(resume.code, 0, resume.stderr)
    const [done] = await a.json(['downloads'])
    assert.equal(done?.name, 'far.txt')
    assert.equal(done.status, 'completed')
    assert.equal(await readFile(done.path, 'utf8'), 'from two hops away')
  })
})
