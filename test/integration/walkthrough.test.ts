import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { hostPort, PEERIT_BIN, PeerNetwork, runPeerit } from '../fixtures/daemons.ts'
import type { CliResult, PeerDir } from '../fixtures/daemons.ts'

/** No stack frame may reach the user, on stderr or inside --json. */
function assertNoStack (result: CliResult): void {
  assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at .+[:(]\d+/, 'no stack trace')
}

/** Runs the launcher through a symbolic link called `name`, as npm installs `bin` entries. */
async function runAs (name: string, linkDir: string, cwd: string, args: string[]): Promise<CliResult> {
  const link = join(linkDir, name)
  await symlink(PEERIT_BIN, link).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'EEXIST') throw err })
  return new Promise(resolve => {
    execFile(process.execPath, [link, ...args], { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: '1', PEERIT_CONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof (err as any).code === 'number' ? (err as any).code : 1, stdout, stderr })
    })
  })
}

describe('usage errors exit 2 and say what is wrong', () => {
  const network = new PeerNetwork()
  let peer: PeerDir
  before(async () => { peer = await network.peer() })
  after(async () => { await network.close() })

  for (const [args, pattern] of [
    [['search'], /give words/],
    [['fetch', '--ttl', '50'], /--ttl must be a whole number from 1 to 10/],
    [['fetch', '--ttl', '0'], /--ttl/],
    [['fetch', '--ttl', 'abc'], /--ttl/],
    [['fetch', '--timeout', '-1'], /--timeout must be/],
    [['search', 'x', '--network', '--ttl', '11'], /--ttl/],
    [['init', '--force', '--port', 'abc'], /--port must be a whole number from 0 to 65535/]
  ] as const) {
    it(`peerit ${args.join(' ')}`, async () => {
      const result = await peer.run([...args])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, pattern)
      assert.doesNotMatch(result.stderr, /NaN/)
      assertNoStack(result)
    })
  }

  it('a usage error with --json is one JSON error value on stdout', async () => {
    const result = await peer.run(['fetch', '--ttl', '50', '--json'])
    assert.equal(result.code, 2)
    assert.equal(result.json.error.code, 'ERR_USAGE')
    assert.match(result.json.error.message, /--ttl/)
  })

  it('status with no config exits 2, like every other command', async () => {
    const empty = join(peer.dir, 'elsewhere')
    await mkdir(empty)
    for (const args of [['status'], ['status', '--json'], ['list', 'peers']]) {
      const result = await peer.run([...args, '--config', join(empty, 'peerConf.json')])
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, /peerit init/)
    }
  })
})

describe('a running node refuses bad queries and paths clearly', () => {
  const network = new PeerNetwork()
  let peer: PeerDir
  before(async () => {
    peer = await network.peer()
    await peer.start()
  })
  after(async () => { await network.close() })

  it('share of a missing file says it does not exist (exit 4)', async () => {
    const missing = join(peer.dir, 'no-such-file.txt')
    const result = await peer.run(['share', missing])
    assert.equal(result.code, 4, result.stderr)
    assert.match(result.stderr, /no-such-file\.txt does not exist/)
    assert.doesNotMatch(result.stderr, /regular file/)
  })

  for (const words of ['*', '🎵', '?? !!']) {
    it(`search ${JSON.stringify(words)} is a usage error, not a match of everything`, async () => {
      const result = await peer.run(['search', words, '--json'])
      assert.equal(result.code, 2, result.stderr)
      assert.equal(result.json.error.code, 'ERR_INVALID_QUERY')
      assert.match(result.stderr, /no letters or digits/)
    })
  }

  it('-t with an unknown word lists the kinds; a known extension and a dotted one work', async () => {
    const bogus = await peer.run(['search', '-t', 'bogus'])
    assert.equal(bogus.code, 2, bogus.stderr)
    assert.match(bogus.stderr, /music, video, document, image, archive, other/)
    assert.match(bogus.stderr, /-t \.bogus/)
    assert.deepEqual(await peer.json(['search', '-t', 'pdf']), [])
    assert.deepEqual(await peer.json(['search', '-t', '.srt']), [])
  })

  it('upload is share under the original name', async () => {
    const file = join(peer.dir, 'Old Habit.txt')
    await writeFile(file, 'typed what I know')
    const uploaded = await peer.json(['upload', file])
    assert.equal(uploaded.name, 'Old Habit.txt')
    assert.ok((await peer.json(['list', 'shared'])).some((f: any) => f.id === uploaded.id))
  })

  it('every command works from a subfolder of the node, as git does', async () => {
    const deep = join(peer.sharedDir, 'albums', 'one')
    await mkdir(deep, { recursive: true })
    const status = await runPeerit(deep, ['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.equal(status.json.pid, peer.pid)
    const shared = await runPeerit(deep, ['list', 'shared', '--json'])
    assert.equal(shared.code, 0, shared.stderr)
    // init starts a new node here: it must not find (and refuse, or overwrite) the parent's file.
    const init = await runPeerit(deep, ['init', '--json'])
    assert.equal(init.code, 0, init.stderr)
    assert.equal(init.json.path, join(deep, 'peerConf.json'))
  })
})

describe('the package installs peerctl as the same program', () => {
  const network = new PeerNetwork()
  let peer: PeerDir
  before(async () => { peer = await network.peer() })
  after(async () => { await network.close() })

  it('package.json installs peerit and peerctl from one launcher', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
    assert.equal(pkg.bin.peerctl, pkg.bin.peerit)
  })

  it('help, usage errors and errors say peerctl when invoked as peerctl', async () => {
    const help = await runAs('peerctl', peer.dir, peer.dir, ['--help'])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^peerctl <command>/)
    assert.match(help.stdout, /peerctl upload|\[aliases: upload\]|also: upload/)
    assert.doesNotMatch(help.stdout, /`peerit /)
    const usage = await runAs('peerctl', peer.dir, peer.dir, ['search'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /`peerctl --help`/)
    const notRunning = await runAs('peerctl', peer.dir, peer.dir, ['list', 'peers'])
    assert.equal(notRunning.code, 3)
    assert.match(notRunning.stderr, /`peerctl start`/)
    assert.doesNotMatch(notRunning.stderr, /`peerit /)
  })

  it('invoked as peerit it still says peerit', async () => {
    const usage = await runAs('peerit', peer.dir, peer.dir, ['search'])
    assert.match(usage.stderr, /`peerit --help`/)
  })
})

describe('listen failures are one line that names the key to change', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('a port in use names listening_port (exit 2, also in --json)', async () => {
    const first = await network.peer()
    const port = Number(hostPort((await first.start()).addresses[0]).split(':')[1])
    const second = await network.peer({ listening_port: port })
    const human = await second.run(['start'])
    assert.equal(human.code, 2, human.stderr)
    assert.match(human.stderr, new RegExp(`listening_port ${port} is already in use`))
    assert.equal(human.stderr.trim().split('\n').length, 1, human.stderr)
    const json = await second.run(['start', '--json'])
    assert.equal(json.code, 2)
    assert.equal(json.json.error.code, 'ERR_LISTEN')
    assert.match(json.json.error.message, /set another listening_port in .*peerConf\.json/)
    assertNoStack(json)
  })

  it('a listening_ip this machine does not have names listening_ip', async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): never a local address. Binding sends nothing.
    const peer = await network.peer({ listening_ip: '192.0.2.1' })
    const result = await peer.run(['start', '--json'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.json.error.message, /listening_ip 192\.0\.2\.1 is not an address of this machine/)
    assertNoStack(result)
  })
})

describe('config folders: ~ and folders that did not exist', () => {
  const network = new PeerNetwork()
  const home = join(homedir(), `.peerit-test-${process.pid}-${Date.now()}`)
  after(async () => {
    await network.close()
    await rm(home, { recursive: true, force: true })
  })

  it('"~/…" is the home folder, and a created folder is warned about at start', async () => {
    const name = home.slice(homedir().length + 1)
    const peer = await network.peer({ shared_dir: `~/${name}/Music` })
    const result = await peer.run(['start'])
    assert.equal(result.code, 0, result.stderr)
    peer.pid = (await peer.json(['status'])).pid
    assert.match(result.stderr, new RegExp(`warning: shared_dir ${join(home, 'Music').replace(/[.]/g, '\\.')} did not exist: created it`))
    await writeFile(join(home, 'Music', 'song.mp3'), 'la la')
    assert.equal((await peer.json(['sync'])).total, 1)
    await assert.rejects(stat(join(peer.dir, '~')), { code: 'ENOENT' }, 'no folder literally named ~')
  })
})
