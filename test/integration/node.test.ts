import assert from 'node:assert/strict'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerDir, PeerNetwork } from '../fixtures/daemons.ts'

/** `list peers --json` of a peer, as a map from peer id to entry. */
async function peersOf (peer: PeerDir): Promise<Map<string, any>> {
  const list = await peer.json(['list', 'peers'])
  return new Map(list.filter((p: any) => p.peerId != null).map((p: any) => [p.peerId, p]))
}

async function connectedTo (peer: PeerDir, peerId: string): Promise<boolean> {
  return (await peersOf(peer)).get(peerId)?.connected === true
}

describe('three daemons driven through the peerit CLI', () => {
  const network = new PeerNetwork()
  let a: PeerDir, b: PeerDir, c: PeerDir
  let aId: string, bId: string, cId: string
  // Contacts alone decide who is connected here: with the DHT on, its lookups connect
  // DHT peers to each other too (test/integration/dht.test.ts covers that side).
  const noDht = { dht: false }

  before(async () => {
    b = await network.peer(noDht)
    const startedB = await b.start()
    bId = startedB.peerId
    a = await network.peer({ ...noDht, primary_peer_url: hostPort(startedB.addresses[0]) })
    c = await network.peer(noDht)
    aId = (await a.start()).peerId
    cId = (await c.start()).peerId
  })

  after(async () => { await network.close() })

  it('A dials B from its config, and both list each other as connected', async () => {
    await eventually(async () => connectedTo(a, bId), { what: 'A connected to B' })
    await eventually(async () => connectedTo(b, aId), { what: 'B sees A' })
    const entry = (await peersOf(a)).get(bId)
    assert.equal(entry.contact, true)
    assert.ok(entry.addresses.length > 0)
    assert.equal((await peersOf(b)).get(aId).contact, false, 'an inbound peer is shown but is not a contact')
  })

  it('C connects to A by url; status and list peers agree on both sides', async () => {
    const aStatus = await a.json(['status'])
    const connected = await c.json(['connect', aStatus.addresses[0]])
    assert.equal(connected.peerId, aId)
    assert.equal(typeof connected.address, 'string')
    await eventually(async () => connectedTo(a, cId), { what: 'A sees C' })
    const statusA = await a.json(['status'])
    assert.equal(statusA.running, true)
    assert.equal(statusA.peerId, aId)
    assert.equal(statusA.connectedPeers, 2)
    assert.equal(statusA.contacts, 1)
    assert.equal(statusA.sharedFiles, 0)
    assert.equal(statusA.discoveredFiles, 0)
    assert.equal(typeof statusA.uptimeSeconds, 'number')
    assert.equal(typeof statusA.version, 'string')
    assert.equal(statusA.pid, a.pid)
    const statusC = await c.json(['status'])
    assert.equal(statusC.connectedPeers, 1)
    assert.equal(statusC.contacts, 1)
  })

  it('disconnect hangs up and removes the contact', async () => {
    const result = await c.json(['disconnect', aId])
    assert.deepEqual(result.peerIds, [aId])
    assert.equal(result.contactsRemoved, 1)
    await eventually(async () => !(await connectedTo(c, aId)), { what: 'C disconnected from A' })
    assert.equal((await peersOf(c)).has(aId), false)
    assert.equal((await c.json(['status'])).contacts, 0)
  })

  it('disconnect of an unknown peer fails with exit code 4', async () => {
    const result = await c.run(['disconnect', '127.0.0.1:1'])
    assert.equal(result.code, 4)
    assert.match(result.stderr, /list peers/)
  })

  it('a restart keeps the peer id and the contacts', async () => {
    await c.json(['connect', (await b.json(['status'])).addresses[0]])
    await c.json(['stop'])
    const status = await c.run(['status', '--json'])
    assert.equal(status.code, 3)
    assert.deepEqual(status.json, { running: false })
    const restarted = await c.start()
    assert.equal(restarted.peerId, cId)
    assert.equal((await c.json(['status'])).contacts, 1)
    await eventually(async () => connectedTo(c, bId), { what: 'C redials its contact B after restart' })
  })

  it('kill -9 then start recovers: stale pid file and socket are cleaned', async () => {
    const oldPid = c.pid
    c.kill9()
    await eventually(async () => (await c.run(['status', '--json'])).code === 3, { what: 'status says not running' })
    const restarted = await c.start()
    assert.notEqual(restarted.pid, oldPid)
    assert.equal(restarted.peerId, cId)
    assert.equal((await c.json(['status'])).contacts, 1)
  })

  it('a second start says it is already running and starts nothing', async () => {
    const again = await a.json(['start'])
    assert.equal(again.alreadyRunning, true)
    assert.equal(again.pid, a.pid)
  })

  it('the socket and identity key are the owner\'s alone', async () => {
    const key = await stat(join(a.stateDir, 'identity.key'))
    assert.equal(key.mode & 0o777, 0o600)
    const socket = await stat(join(a.stateDir, 'peerit.sock'))
    assert.equal(socket.mode & 0o777, 0o600)
  })

  it('a garbage line on the IPC socket gets a parse error and the daemon keeps serving', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(join(a.stateDir, 'peerit.sock'))
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString()
        if (data.includes('\n')) {
          socket.destroy()
          resolve(data)
        }
      })
      socket.on('error', reject)
      socket.write('this is not json\n')
    })
    assert.equal(JSON.parse(reply).error.code, -32700)
    assert.equal((await a.json(['status'])).running, true)
  })

  it('a client that hangs up mid-request does not hurt the daemon', async () => {
    await new Promise<void>((resolve) => {
      const socket = connect(join(a.stateDir, 'peerit.sock'))
      socket.write('{"jsonrpc":"2.0","id":1,"method":"fetch","params":{"ttl":1}}\n', () => {
        socket.destroy()
        resolve()
      })
    })
    assert.equal((await a.json(['status'])).running, true)
  })
})

describe('peerit without a usable config or daemon', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('no config: start tells the user to run peerit init (exit 2)', async () => {
    const peer = await network.peer()
    await rm(join(peer.dir, 'peerConf.json'))
    const result = await peer.run(['start'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /peerit init/)
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace')
  })

  for (const [label, content, pattern] of [
    ['empty', '', /empty|JSON/i],
    ['malformed', '{ "listening_port": ', /JSON|parse/i],
    ['wrongly typed', '{ "listening_port": "abc" }', /listening_port/]
  ] as const) {
    it(`a ${label} config is refused with a clear error`, async () => {
      const peer = await network.peer()
      await writeFile(join(peer.dir, 'peerConf.json'), content)
      const result = await peer.run(['start'])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, pattern)
      assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace')
    })
  }

  it('a port in use is reported, and the next start works once it is free', async () => {
    const first = await network.peer()
    const started = await first.start()
    const port = Number(hostPort(started.addresses[0]).split(':')[1])
    const second = await network.peer({ listening_port: port })
    const result = await second.run(['start'])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /listen|in use/i)
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, 'no stack trace')
  })

  it('status with no daemon prints {"running":false} and exits 3', async () => {
    const peer = await network.peer()
    const result = await peer.run(['status', '--json'])
    assert.equal(result.code, 3)
    assert.deepEqual(result.json, { running: false })
  })

  it('a command that needs the daemon tells the user to start it (exit 3)', async () => {
    const peer = await network.peer()
    const result = await peer.run(['list', 'peers'])
    assert.equal(result.code, 3)
    assert.match(result.stderr, /peerit start/)
  })

  it('a malformed peer url is refused (exit 2) without a stack trace', async () => {
    const peer = await network.peer()
    await peer.start()
    const result = await peer.run(['connect', 'not a url'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /host:port|multiaddr/)
  })

  it('an unreachable peer fails the connect with a clear error (exit 1)', async () => {
    const peer = network.peers[network.peers.length - 1]
    const result = await peer.run(['connect', '127.0.0.1:1'])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /cannot reach/)
  })

  it('init refuses to overwrite without --force', async () => {
    const peer = await network.peer()
    const refused = await peer.run(['init'])
    assert.equal(refused.code, 2)
    assert.match(refused.stderr, /--force/)
    const forced = await peer.run(['init', '--force', '--port', '4999', '--json'])
    assert.equal(forced.code, 0)
    assert.equal(forced.json.config.listening_port, 4999)
  })

  it('every command has --help', async () => {
    const peer = network.peers[0]
    for (const command of ['init', 'start', 'daemon', 'stop', 'status', 'connect', 'disconnect', 'list', 'list peers', 'list files',
      'list shared', 'list blocked', 'block', 'unblock', 'sync', 'share', 'upload', 'fetch', 'search', 'download', 'downloads']) {
      const result = await peer.run([...command.split(' '), '--help'])
      assert.equal(result.code, 0, command)
      assert.match(result.stdout, /--json/, command)
    }
  })

  it('an unknown command is a usage error (exit 2)', async () => {
    const result = await network.peers[0].run(['frobnicate'])
    assert.equal(result.code, 2)
  })
})

describe('peerit in awkward places', () => {
  const network = new PeerNetwork()
  after(async () => { await network.close() })

  it('a config folder too deep for a Unix socket path still works', async () => {
    const shallow = await network.peer()
    const deep = join(shallow.dir, 'a-folder-name-long-enough'.repeat(3), 'and-another-one-to-pass-the-limit'.repeat(2))
    await mkdir(deep, { recursive: true })
    const peer = new PeerDir(deep)
    network.peers.push(peer)
    await peer.writeConfig({})
    assert.ok(Buffer.byteLength(join(peer.stateDir, 'peerit.sock')) > 108, 'the state folder is deeper than sun_path allows')
    const started = await peer.start()
    const status = await peer.json(['status'])
    assert.equal(status.peerId, started.peerId)
    await peer.json(['stop'])
  })

  it('unknown config keys are warned about when starting', async () => {
    const peer = await network.peer({ colour_scheme: 'dark' })
    const result = await peer.run(['start'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /unknown key 'colour_scheme'/)
    peer.pid = (await peer.json(['status'])).pid
  })
})
