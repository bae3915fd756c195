import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

// Four daemons on 127.0.0.1 that only know a bootstrap peer; mDNS off so the DHT alone introduces them.
const CONFIG = { mdns: false, limits: { inbound_connections_per_second: 1000 } }

describe('the DHT through real daemons and the peerit CLI', () => {
  const network = new PeerNetwork()
  let sharer: PeerDir, reader: PeerDir, other: PeerDir
  let sharerId: string, otherId: string
  let fileId: string
  const bytes = randomBytes(200_000)

  before(async () => {
    const bootstrap = await network.peer(CONFIG)
    const boot = await bootstrap.start()
    const contact = { ...CONFIG, primary_peer_url: hostPort(boot.addresses[0]) }
    sharer = await network.peer(contact)
    reader = await network.peer(contact)
    other = await network.peer(contact)
    sharerId = (await sharer.start()).peerId
    await reader.start()
    otherId = (await other.start()).peerId
    await writeFile(join(sharer.dir, 'notes.txt'), bytes)
    fileId = (await sharer.json(['share', join(sharer.dir, 'notes.txt')])).id
    await eventually(async () => (await sharer.json(['status'])).dht?.provided === 1, { what: 'the file provided', timeoutMs: 60_000 })
  })

  after(async () => { await network.close() })

  it('status shows the DHT serving on loopback', async () => {
    const status = await reader.json(['status'])
    assert.equal(status.dht.mode, 'server')
    assert.ok(status.dht.routingTablePeers >= 1)
  })

  it('download -i <full id> on a node that never fetched finds the file through the DHT', async () => {
    assert.equal((await reader.json(['status'])).discoveredFiles, 0)
    const [result] = await reader.json(['download', '-i', fileId])
    assert.equal(result.id, fileId)
    assert.deepEqual(result.providers, [sharerId])
    assert.deepEqual(await readFile(result.path), bytes)
    const missing = await reader.run(['download', '-i', 'ab'.repeat(32)])
    assert.equal(missing.code, 4, missing.stderr)
    assert.match(missing.stderr, /no provider of abababababab… was found through the DHT/)
  })

  it('peerit link prints a link that downloads on another node with no fetch', async () => {
    const made = await sharer.json(['link', 'notes.txt'])
    assert.deepEqual(Object.keys(made).sort(), ['contentId', 'link', 'name', 'size'])
    assert.equal(made.contentId, fileId)
    assert.equal(made.name, 'notes.txt')
    assert.equal(made.size, bytes.length)
    assert.match(made.link, new RegExp(`^peerit:${fileId}\\?name=notes\\.txt&size=${bytes.length}&peer=/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${sharerId}$`))
    const human = await sharer.run(['link', '-i', fileId.slice(0, 10)])
    assert.equal(human.code, 0)
    assert.ok(human.stdout.includes(made.link))
    const [result] = await other.json(['download', made.link])
    assert.equal(result.name, 'notes.txt')
    assert.deepEqual(await readFile(result.path), bytes)
  })

  it('a bad link is a usage error that says what is wrong', async () => {
    const cases: Array<[string, RegExp]> = [
      [`peerit:${fileId.slice(2)}`, /62 hex digits; a full content id has 64/],
      [`peerit:${fileId}?name=a&mirror=x`, /unknown parameter "mirror"/],
      [`peerit:${fileId}?name=..%2Fx`, /path separator/],
      [`peerit:${fileId}?name=a%07`, /control characters/],
      [`peerit:${fileId}?peer=/ip4/127.0.0.1/tcp/1`, /must end with \/p2p\/<peer id>/],
      [`peerit:${fileId}?peer=/ip4/127.0.0.1/tcp/99999/p2p/${sharerId}`, /is not a multiaddr/]
    ]
    for (const [link, message] of cases) {
      const result = await other.run(['download', link])
      assert.equal(result.code, 2, `${link}: ${result.stderr}`)
      assert.match(result.stderr, message)
    }
    const lying = await other.run(['download', `peerit:${fileId}?name=n.txt&size=7`])
    assert.equal(lying.code, 1)
    assert.match(lying.stderr, /200000 bytes long, not the 7 bytes the link says/)
    assert.equal((await other.run(['link', '-i', 'ab'.repeat(32)])).code, 4)
  })

  it('connect <peerId> finds the peer through the DHT and keeps it as a contact', async () => {
    const connected = await reader.json(['connect', otherId])
    assert.equal(connected.peerId, otherId)
    assert.match(connected.address, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    const peers = await reader.json(['list', 'peers'])
    assert.ok(peers.some((p: any) => p.peerId === otherId && p.contact === true))
    const stranger = await reader.run(['connect', '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'])
    assert.equal(stranger.code, 4, stranger.stderr)
  })
})
