import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { DHT_PROTOCOL } from '../../src/dht/service.ts'
import { parseLink } from '../../src/link.ts'
import { eventually } from '../fixtures/daemons.ts'
import { addressOf, DhtNetwork } from '../fixtures/dht-nodes.ts'
import type { PeerNode } from '../../src/peer-node.ts'

describe('the PeerIT DHT on six nodes on 127.0.0.1', () => {
  const network = new DhtNetwork()
  let bootstrap: PeerNode
  let nodes: PeerNode[]
  let sharer: PeerNode
  let fileId: string
  const bytes = randomBytes(300_000)

  before(async () => {
    bootstrap = await network.node()
    nodes = []
    for (let i = 0; i < 5; i++) {
      nodes.push(await network.node({ peers: [addressOf(bootstrap)] }))
    }
    sharer = nodes[0]
    await writeFile(join(network.dirOf(sharer), 'report.pdf'), bytes)
    fileId = (await sharer.share(join(network.dirOf(sharer), 'report.pdf'))).id
    await eventually(async () => sharer.status().dht?.provided === 1, { what: 'the shared file provided', timeoutMs: 60_000 })
  })

  after(async () => { await network.close() })

  it('every node serves the DHT on its private protocol, with loopback addresses kept', async () => {
    for (const node of [bootstrap, ...nodes]) {
      assert.equal(node.status().dht?.mode, 'server')
      assert.ok(node.libp2p.getProtocols().includes(DHT_PROTOCOL))
      assert.ok(!node.libp2p.getProtocols().includes('/ipfs/kad/1.0.0'))
    }
    await eventually(async () => (bootstrap.status().dht?.routingTablePeers ?? 0) >= 5, { what: 'the bootstrap routing table filled', timeoutMs: 60_000 })
  })

  it('a node that never fetched downloads a file by its full id, found through the DHT', async () => {
    const downloader = nodes[4]
    assert.equal(downloader.status().discoveredFiles, 0)
    const progress: number[] = []
    const result = await downloader.downloadFile(fileId, { onProgress: p => { progress.push(p.received) } })
    assert.deepEqual(result.providers, [sharer.peerId])
    assert.ok(progress.length > 0, 'progress was reported')
    assert.deepEqual(await readFile(result.path), bytes)
  })

  it('an id no one provides fails at once with a clear not-found error', async () => {
    await assert.rejects(nodes[3].downloadFile('ab'.repeat(32)), (err: any) => {
      assert.equal(err.code, 'ERR_FILE_NOT_FOUND')
      assert.match(err.message, /no provider .* found through the DHT/)
      return true
    })
  })

  it('a link from the sharer downloads on a node with no fetch, and a lying size fails the download', async () => {
    const made = await sharer.link('report.pdf')
    assert.equal(made.contentId, fileId)
    assert.equal(made.size, bytes.length)
    const link = parseLink(made.link)
    assert.equal(link.name, 'report.pdf')
    assert.ok(link.peers.some(p => p.endsWith(`/p2p/${sharer.peerId}`)), 'the sharer is a hint')
    const result = await nodes[3].downloadFile(made.link)
    assert.equal(result.name, 'report.pdf')
    assert.deepEqual(await readFile(result.path), bytes)

    const lying = made.link.replace(`size=${bytes.length}`, `size=${bytes.length + 1}`)
    await assert.rejects(nodes[2].downloadFile(lying), (err: any) => err.code === 'ERR_SIZE_MISMATCH' && /300001 bytes the link says/.test(err.message))
  })

  it('connect by a bare peer id finds the addresses through the DHT', async () => {
    const [from, to] = [nodes[1], nodes[2]]
    await from.libp2p.hangUp(to.libp2p.peerId).catch(() => {})
    await from.libp2p.peerStore.delete(to.libp2p.peerId)
    const connected = await from.connect(to.peerId)
    assert.equal(connected.peerId, to.peerId)
    assert.ok(from.peers().some(p => p.peerId === to.peerId && p.contact), 'kept as a contact')
  })

  it('a peer whose given address fails is looked up on the DHT before giving up', async () => {
    const [from, to] = [nodes[3], nodes[1]]
    await from.libp2p.hangUp(to.libp2p.peerId).catch(() => {})
    await from.libp2p.peerStore.delete(to.libp2p.peerId)
    // A port nothing listens on: the bootstrap's port + a stale neighbour's would be guesses, so use port 9 (discard).
    const stale = multiaddr(`/ip4/127.0.0.1/tcp/9/p2p/${to.peerId}`).toString()
    const connected = await from.connect(stale)
    assert.equal(connected.peerId, to.peerId)
    assert.doesNotMatch(connected.address, /\/tcp\/9\//)
  })

  it('connect by the id of a peer no one knows is a not-found error', async () => {
    const stranger = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
    await assert.rejects(nodes[0].connect(stranger), (err: any) => err.code === 'ERR_UNKNOWN_PEER')
  })
})
