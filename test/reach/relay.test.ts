import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { startReachNode, stopReachNodes, until } from '../fixtures/reach-nodes.ts'
import type { ReachNode } from '../fixtures/reach-nodes.ts'

const MiB = 1024 * 1024

// On loopback everything can dial everything; what makes a node "NAT'd" here is
// its own view: 127.0.0.1 is not in its public networks, so it reserves relay slots.
describe('relays between PeerIT nodes', () => {
  let relay: ReachNode
  let provider: ReachNode
  let downloader: ReachNode
  const content = randomBytes(3 * MiB)

  before(async () => {
    relay = await startReachNode({ reach: { relayServer: true, publicNetworks: ['127.0.0.1/32'] } })
    provider = await startReachNode({ peers: [relay.address] })
    await writeFile(join(provider.dir, 'shared', 'relayed.bin'), content)
    await provider.node.sync()
    downloader = await startReachNode({ peers: [relay.address] })
  })

  after(async () => {
    await stopReachNodes([downloader, provider, relay])
  })

  it('a node without a public address reserves a slot on a relay-serving contact and reports it', async () => {
    const relayAddresses = await until('the provider holds a reservation', () => {
      const addresses = provider.node.status().relayAddresses
      return addresses.length > 0 ? addresses : undefined
    })
    assert.ok(relayAddresses.every(a => a.includes(`/p2p/${relay.node.peerId}/p2p-circuit/p2p/${provider.node.peerId}`)), relayAddresses.join(' '))
    assert.equal(provider.node.status().reachability, 'private')
    assert.equal(relay.node.status().reachability, 'public')
    assert.deepEqual(relay.node.status().relayAddresses, [])
    assert.equal(relay.node.status().relay?.reservations, 1)
    assert.ok(provider.notices.some(n => n.includes(`reserved a slot on ${relay.node.peerId}`)), provider.notices.join('\n'))
  })

  it('fetch answers carry the provider\'s /p2p-circuit addresses', async () => {
    await until('the provider holds a reservation', () => provider.node.status().relayAddresses.length > 0)
    const result = await downloader.node.fetch({ ttl: 3 })
    const record = result.records.find(r => r.peerId === provider.node.peerId)
    assert.ok(record != null, 'the provider answered')
    assert.ok(record.addresses.some(a => a.includes('/p2p-circuit')), record.addresses.join(' '))
  })

  it('a file larger than libp2p\'s 128 KiB relay default downloads over the relayed connection, verified', async () => {
    const circuit = (await until('a relay address', () => provider.node.status().relayAddresses[0]))
    await downloader.node.libp2p.dial(multiaddr(circuit))
    const view = downloader.node.peers().find(p => p.peerId === provider.node.peerId)
    assert.equal(view?.connection, 'relayed')
    await downloader.node.fetch({ ttl: 3 })
    const result = await downloader.node.downloadFile('relayed.bin', { from: [provider.node.peerId] })
    const bytes = await readFile(result.path)
    assert.equal(createHash('sha256').update(bytes).digest('hex'), createHash('sha256').update(content).digest('hex'))
    // the downloader's address (127.0.0.1) is not public to the provider: no reversal, the relay carried it all
    assert.equal(downloader.node.peers().find(p => p.peerId === provider.node.peerId)?.connection, 'relayed')
    assert.ok((relay.node.status().relay?.bytesRelayed ?? 0) >= content.length, `relayed ${relay.node.status().relay?.bytesRelayed} bytes`)
  })
})

describe('connection reversal', () => {
  let relay: ReachNode
  let provider: ReachNode
  let downloader: ReachNode

  before(async () => {
    relay = await startReachNode({ reach: { relayServer: true, publicNetworks: ['127.0.0.1/32'] } })
    // The provider counts only 127.0.0.2 (where the downloader listens) as public.
    provider = await startReachNode({ peers: [relay.address], reach: { publicNetworks: ['127.0.0.2/32'] } })
    downloader = await startReachNode({ listen: '/ip4/127.0.0.2/tcp/0', reach: { publicNetworks: ['127.0.0.2/32'] } })
  })

  after(async () => {
    await stopReachNodes([downloader, provider, relay])
  })

  it('a public peer that reaches a NAT\'d one through a relay ends on a direct connection the NAT\'d one dialled', async () => {
    assert.equal(downloader.node.status().reachability, 'public')
    const circuit = await until('a relay address', () => provider.node.status().relayAddresses[0])
    await downloader.node.libp2p.dial(multiaddr(circuit))
    await until('the provider dialled back', () => {
      const connections = downloader.node.libp2p.getConnections().filter(c => c.remotePeer.toString() === provider.node.peerId && c.status === 'open')
      return connections.length > 0 && connections.every(c => !c.remoteAddr.toString().includes('p2p-circuit')) && connections.some(c => c.direction === 'inbound')
    })
    const view = downloader.node.peers().find(p => p.peerId === provider.node.peerId)
    assert.equal(view?.connection, 'direct')
    assert.ok(provider.notices.some(n => n.startsWith('reversal:')), provider.notices.join('\n'))
  })
})
