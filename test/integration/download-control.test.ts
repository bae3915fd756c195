import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PEERIT_BIN, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

const MiB = 1024 * 1024

async function sha256 (path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex')
}

async function partFiles (peer: PeerDir): Promise<string[]> {
  return (await readdir(peer.downloadDir)).filter(name => name.endsWith('.part'))
}

async function entryOf (peer: PeerDir, name: string): Promise<any> {
  return (await peer.json(['downloads'])).find((entry: any) => entry.name === name)
}

/**
 * P shares files, its upload throttled so a transfer lasts; D downloads them
 * and drives the downloads with the real CLI: detach, pause, kill -9,
 * resume, cancel, history, limits, and the mistakes a user makes.
 */
describe('managing downloads through the peerit CLI', () => {
  const network = new PeerNetwork()
  let p: PeerDir
  let d: PeerDir
  let pId: string
  const film = randomBytes(12 * MiB)
  const other = randomBytes(6 * MiB)

  before(async () => {
    p = await network.peer({ limits: { upload_bytes_per_second: 2 * MiB } })
    await mkdir(p.sharedDir, { recursive: true })
    await writeFile(join(p.sharedDir, 'film.mkv'), film)
    await writeFile(join(p.sharedDir, 'other.bin'), other)
    await writeFile(join(p.sharedDir, 'small.txt'), 'a small file\n')
    await writeFile(join(p.sharedDir, 'empty.txt'), '')
    const started = await p.start()
    pId = started.peerId
    await p.json(['sync'])
    d = await network.peer({ primary_peer_url: hostPort(started.addresses[0]) })
    await d.start()
    await eventually(async () => (await d.json(['status'])).connectedPeers === 1, { what: 'D connected to P' })
    await d.json(['fetch', '--ttl', '1'])
  })

  after(async () => { await network.close() })

  it('--detach queues and returns at once; pause keeps the .part, survives kill -9; resume completes it', async () => {
    const queued = await d.json(['download', '--detach', 'film.mkv'])
    assert.equal(queued.length, 1)
    assert.equal(queued[0].name, 'film.mkv')
    assert.match(queued[0].contentId, /^[0-9a-f]{64}$/)
    assert.ok(['queued', 'active'].includes(queued[0].status), queued[0].status)
    await eventually(async () => (await entryOf(d, 'film.mkv'))?.received >= MiB, { what: 'some of film.mkv received' })

    const [paused] = await d.json(['pause', 'film.mkv'])
    assert.deepEqual(paused, { contentId: queued[0].contentId, name: 'film.mkv', status: 'paused' })
    const servedAtPause = (await p.json(['status'])).uploadedBytes
    const atPause = await entryOf(d, 'film.mkv')
    assert.equal(atPause.status, 'paused')
    assert.ok(atPause.received < film.length)
    assert.deepEqual(await partFiles(d), ['film.mkv.part'])

    d.kill9()
    await d.start()
    const afterRestart = await entryOf(d, 'film.mkv')
    assert.equal(afterRestart.status, 'paused', 'a paused download stays paused across a restart')
    assert.ok(afterRestart.received >= atPause.received - MiB, 'the verified pieces were kept')
    // Seconds passed (a kill and a restart): P served at most what was in flight when the pause came.
    assert.ok((await p.json(['status'])).uploadedBytes - servedAtPause <= 2 * MiB, 'no more bytes asked for while paused')
    assert.ok((await d.log()).includes('download paused: "film.mkv"'), await d.log())

    const [resumed] = await d.json(['resume', queued[0].contentId.slice(0, 8)])
    assert.ok(['queued', 'active'].includes(resumed.status), resumed.status)
    await eventually(async () => (await entryOf(d, 'film.mkv'))?.status === 'completed', { timeoutMs: 60_000, what: 'film.mkv to complete' })
    const done = await entryOf(d, 'film.mkv')
    assert.equal(done.path, join(d.downloadDir, 'film.mkv'))
    assert.equal(await sha256(done.path), createHash('sha256').update(film).digest('hex'))
    assert.deepEqual(await partFiles(d), [])
    const log = await d.log()
    assert.match(log, /download resumed: "film\.mkv"/)
    assert.match(log, new RegExp(`download finished: "film\\.mkv" \\([0-9a-f]{12}\\), ${film.length} bytes from 1 peer \\(${pId}\\)`))
  })

  it('cancel stops the transfer and deletes the .part and the state; the history keeps it until --clear', async () => {
    await d.json(['download', '--detach', 'other.bin'])
    await eventually(async () => (await entryOf(d, 'other.bin'))?.received > 0, { what: 'some of other.bin received' })
    const [cancelled] = await d.json(['cancel', 'other.bin'])
    assert.equal(cancelled.status, 'cancelled')
    assert.deepEqual(await partFiles(d), [])
    assert.equal((await readdir(d.downloadDir)).includes('other.bin'), false)
    d.kill9()
    await d.start()
    assert.equal((await entryOf(d, 'other.bin'))?.status, 'cancelled', 'not resumed at start')
    const cleared = await d.json(['downloads', '--clear'])
    assert.deepEqual(cleared, [])
    assert.deepEqual(await d.json(['downloads']), [])
  })

  it('an unknown target exits 4 (with --json too); no target is a usage error', async () => {
    const unknown = await d.run(['pause', 'no-such-download'])
    assert.equal(unknown.code, 4, unknown.stderr)
    assert.match(unknown.stderr, /no download matches "no-such-download"/)
    const json = await d.run(['cancel', 'no-such-download', '--json'])
    assert.equal(json.code, 4)
    assert.equal(json.json.error.code, 'ERR_NOT_FOUND')
    const none = await d.run(['pause'])
    assert.equal(none.code, 2, none.stderr)
    assert.match(none.stderr, /--all/)
  })

  it('limits: changes the rates at once, keeps them across restarts, refuses a rate it cannot read', async () => {
    const bad = await d.run(['limits', '--download', '5 parsecs'])
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(bad.stderr, /500KiB/)
    const tiny = await d.run(['limits', '--upload', '1KiB'])
    assert.equal(tiny.code, 2, tiny.stderr)
    assert.deepEqual(await d.json(['limits', '--download', '2MiB', '--upload', '500KiB']), { uploadBytesPerSecond: 512_000, downloadBytesPerSecond: 2 * MiB })
    const config = JSON.parse(await readFile(join(d.dir, 'peerConf.json'), 'utf8'))
    assert.equal(config.limits.download_bytes_per_second, 2 * MiB)
    assert.equal(config.primary_peer_url, hostPort((await p.json(['status'])).addresses[0]), 'the other keys are kept')
    await d.json(['stop'])
    await d.start()
    assert.deepEqual(await d.json(['limits']), { uploadBytesPerSecond: 512_000, downloadBytesPerSecond: 2 * MiB })
    assert.deepEqual(await d.json(['limits', '--download', '0', '--upload', '0']), { uploadBytesPerSecond: 0, downloadBytesPerSecond: 0 })
    assert.match((await d.run(['limits'])).stdout, /download +unlimited/)
  })

  it('download: no target exits 2; -i takes ids only; each target succeeds or fails on its own', async () => {
    await eventually(async () => (await d.json(['status'])).connectedPeers === 1, { what: 'D reconnected to P' })
    const noTarget = await d.run(['download'])
    assert.equal(noTarget.code, 2, noTarget.stderr)
    const notHex = await d.run(['download', '-i', 'small.txt'])
    assert.equal(notHex.code, 2, notHex.stderr)
    assert.match(notHex.stderr, /not a content id/)
    const short = await d.run(['download', '-i', 'ab'])
    assert.equal(short.code, 2)
    assert.match(short.stderr, /too short \(min 4/)
    const missing = await d.run(['download', '-i', '0000'])
    assert.equal(missing.code, 4)
    assert.match(missing.stderr, /no discovered file's id starts with 0000/)

    const files = await d.json(['list', 'files'])
    const small = files.find((f: any) => f.name === 'small.txt')
    const mixed = await d.run(['download', '-i', small.id.slice(0, 10), '0000', '--json'])
    assert.equal(mixed.code, 1, 'some failed')
    const [good, bad] = mixed.json
    assert.equal(good.name, 'small.txt')
    assert.equal(await readFile(good.path, 'utf8'), 'a small file\n')
    assert.equal(bad.target, '0000')
    assert.equal(bad.error.code, 'ERR_FILE_NOT_FOUND')

    const empty = await d.run(['download', 'empty.txt'])
    assert.equal(empty.code, 0, empty.stderr)
    assert.match(empty.stdout, /empty, nothing to fetch/)
    assert.doesNotMatch(empty.stdout, /0 peers/)
  })

  it('-p: a non-peer-id is a usage error at once; a short id as tables print it works; a wrong one does not poison the file', async () => {
    const notPeer = await d.run(['download', '-p', 'nobody', 'small.txt'])
    assert.equal(notPeer.code, 2, notPeer.stderr)
    assert.match(notPeer.stderr, /not a peer id/)
    const [byShortId] = await d.json(['download', '-p', `${pId.slice(0, 8)}…${pId.slice(-6)}`, 'small.txt'])
    assert.deepEqual(byShortId.providers, [pId])

    // D's own id is a peer id that provides nothing: the -p download fails, and the file stays downloadable.
    const dId = (await d.json(['status'])).peerId
    await writeFile(join(p.sharedDir, 'later.txt'), 'fetched later\n')
    await p.json(['sync'])
    await d.json(['fetch', '--ttl', '1'])
    const wrong = await d.run(['download', '-p', dId, 'later.txt'], { timeoutMs: 120_000 })
    assert.notEqual(wrong.code, 0)
    await d.json(['stop'])
    await d.start()
    await eventually(async () => (await entryOf(d, 'later.txt'))?.status === 'completed', { timeoutMs: 60_000, what: 'later.txt resumed at start from its real provider' })
    assert.equal(await readFile(join(d.downloadDir, 'later.txt'), 'utf8'), 'fetched later\n')
  })

  it('downloads --watch draws a view that fits 80 columns and exits cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [PEERIT_BIN, 'downloads', '--watch'], { cwd: d.dir, env: { ...process.env, NO_COLOR: '1', PEERIT_CONFIG: '' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>(resolve => { child.once('exit', code => { resolve(code) }) })
    try {
      await eventually(async () => output.includes('later.txt'), { what: 'a frame of the live view' })
      child.kill('SIGINT')
      assert.equal(await exited, 0)
    } finally {
      child.kill('SIGKILL')
    }
    assert.match(output, /active · down/)
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(output, /\x1b\[/, 'no escape codes when stdout is not a terminal')
    for (const line of output.split('\n')) {
      assert.ok(line.length <= 80, `too wide: ${line}`)
    }
    const json = await d.run(['downloads', '--watch', '--json'])
    assert.equal(json.code, 2)
  })

  it('Ctrl-C in a download on a terminal pauses it, says so, leaves the cursor visible; the bar fits 80 columns', async (t) => {
    if (process.platform !== 'linux') {
      t.skip('needs util-linux `script` for a terminal')
      return
    }
    // `script` gives the download a terminal; a ^C written to it is the user's Ctrl-C.
    const commandLine = [process.execPath, PEERIT_BIN, 'download', 'other.bin'].map(arg => `'${arg}'`).join(' ')
    const child = spawn('script', ['-qfec', commandLine, '/dev/null'], { cwd: d.dir, env: { ...process.env, NO_COLOR: '1', PEERIT_CONFIG: '', COLUMNS: '80' } })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    const exited = new Promise<number | null>(resolve => { child.once('exit', code => { resolve(code) }) })
    try {
      await eventually(async () => /\d+%/.test(output), { what: 'a progress bar' })
      child.stdin.write('\u0003')
      assert.equal(await exited, 130, output)
    } finally {
      child.kill('SIGKILL')
    }
    assert.match(output, /interrupted: paused other\.bin \(\.part kept\)\r?\nresume with `peerit resume other\.bin`/)
    assert.ok(output.lastIndexOf('\x1b[?25h') > output.lastIndexOf('\x1b[?25l'), 'the cursor is shown again')
    // eslint-disable-next-line no-control-regex
    for (const line of output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r|\n/)) {
      assert.ok(line.length <= 80, `too wide (${line.length}): ${line}`)
    }
    const entry = await entryOf(d, 'other.bin')
    assert.equal(entry.status, 'paused')
    assert.deepEqual(await partFiles(d), ['other.bin.part'])
    await d.json(['cancel', 'other.bin'])
  })
})
