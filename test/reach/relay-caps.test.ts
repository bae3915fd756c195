import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { startReachNode, stopReachNodes, until } from '../fixtures/reach-nodes.ts'
import type { ReachNode, ReachNodeOptions } from '../fixtures/reach-nodes.ts'
import type { Libp2p } from '@libp2p/interface'

const MiB = 1024 * 1024

/** A relay, a NAT'd provider sharing `size` random bytes as `name`, holding a slot on it. */
async function relayedProvider (relayOptions: ReachNodeOptions, size: number, name: string, nodes: ReachNode[]): Promise<{ relay: ReachNode, provider: ReachNode, circuit: string }> {
  const relay = await startReachNode({ ...relayOptions, reach: { relayServer: true, publicNetworks: ['127.0.0.1/32'], ...relayOptions.reach } })
  nodes.push(relay)
  const provider = await startReachNode({ peers: [relay.address] })
  nodes.push(provider)
  await writeFile(join(provider.dir, 'shared', name), randomBytes(size))
  await provider.node.sync()
  const circuit = await until('the provider holds a slot', () => provider.node.status().relayAddresses[0])
  return { relay, provider, circuit }
}

/** Downloads `name` from `provider` through `circuit`; resolves with the seconds it took. */
async function timedRelayedDownload (downloader: ReachNode, provider: ReachNode, relay: ReachNode, circuit: string, name: string): Promise<number> {
  await downloader.node.connect(relay.address)
  await downloader.node.libp2p.dial(multiaddr(circuit))
  await downloader.node.fetch({ ttl: 2 })
  const started = performance.now()
  await downloader.node.downloadFile(name, { from: [provider.node.peerId] })
  const seconds = (performance.now() - started) / 1000
  assert.equal(downloader.node.peers().find(p => p.peerId === provider.node.peerId)?.connection, 'relayed')
  return seconds
}

describe('relay caps', () => {
  const nodes: ReachNode[] = []
  const bare: Libp2p[] = []

  after(async () => {
    await stopReachNodes(nodes)
    await Promise.all(bare.map(async node => node.stop()))
  })

  // Relayed bytes never meet the file server's upload limiter; these caps are what holds them.
  for (const [key, field] of [['total', 'relayBytesPerSecond'], ['per peer', 'relayBytesPerSecondPerPeer']] as const) {
    it(`relay_bytes_per_second${key === 'total' ? '' : '_per_peer'} really throttles relayed transfers (${key})`, async () => {
      const size = 4 * MiB
      const rate = MiB
      const { relay, provider, circuit } = await relayedProvider({ limits: { [field]: rate } }, size, `capped-${field}.bin`, nodes)
      const downloader = await startReachNode()
      nodes.push(downloader)
      const seconds = await timedRelayedDownload(downloader, provider, relay, circuit, `capped-${field}.bin`)
      // 4 MiB at 1 MiB/s: about 4 s, less one yamux window (1 MiB) of overshoot; uncapped it takes about 1 s here.
      assert.ok(seconds >= 2.8, `4 MiB crossed a 1 MiB/s relay in ${seconds.toFixed(2)} s`)
      assert.ok(size / seconds <= 1.3 * rate, `rate ${(size / seconds / MiB).toFixed(2)} MiB/s`)
    })
  }

  it('a relay at its reservation cap refuses the next peer cleanly, and says so', async () => {
    const relay = await startReachNode({ reach: { relayServer: true, publicNetworks: ['127.0.0.1/32'] }, limits: { relayMaxReservations: 1 } })
    nodes.push(relay)
    const first = await startReachNode({ peers: [relay.address] })
    nodes.push(first)
    await until('the first peer holds the slot', () => first.node.status().relayAddresses.length > 0)
    const second = await startReachNode({ peers: [relay.address] })
    nodes.push(second)
    const refusal = await until('the second peer is refused', () => second.notices.find(n => n.includes('refused a reservation')))
    assert.match(refusal, /RESERVATION_REFUSED/)
    assert.deepEqual(second.node.status().relayAddresses, [])
    assert.equal(second.node.status().reachability, 'private')
    assert.ok(first.node.status().relayAddresses.length > 0, 'the first keeps its slot')
    assert.equal(relay.node.status().relay?.reservations, 1)
    assert.ok(relay.notices.some(n => n.includes('limits.relay_max_reservations')), relay.notices.join('\n'))
    // the refused peer still works directly
    assert.equal(second.node.peers().find(p => p.peerId === relay.node.peerId)?.connection, 'direct')
  })

  it('a relay at its circuit cap refuses the next circuit, and the first keeps working', async () => {
    const { relay, circuit } = await relayedProvider({ limits: { relayMaxCircuits: 1 } }, 1024, 'small.bin', nodes)
    const first = await startReachNode()
    const second = await startReachNode()
    nodes.push(first, second)
    await first.node.libp2p.dial(multiaddr(circuit))
    await assert.rejects(second.node.libp2p.dial(multiaddr(circuit), { signal: AbortSignal.timeout(10_000) }))
    assert.equal(relay.node.status().relay?.circuits, 1)
    assert.ok(relay.notices.some(n => n.includes('limits.relay_max_circuits')), relay.notices.join('\n'))
  })

  it('over a limited relay (libp2p\'s defaults) a file request fails at once with the reason', async () => {
    // a relay as others run them: js-libp2p's server with its 128 KiB / 2 min default
    const limited = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { inboundConnectionThreshold: 1000 },
      services: { identify: identify(), relay: circuitRelayServer() }
    })
    bare.push(limited)
    const provider = await startReachNode({ peers: [limited.getMultiaddrs()[0].toString()] })
    const downloader = await startReachNode()
    nodes.push(provider, downloader)
    const circuit = await until('the provider holds a slot on the limited relay', () => provider.node.status().relayAddresses[0])
    const connection = await downloader.node.libp2p.dial(multiaddr(circuit))
    assert.ok(connection.limits != null, 'the relayed connection is limited')
    // on loopback the provider's own address would work: leave the downloader only the circuit
    await until('identify has run', async () => (await downloader.node.libp2p.peerStore.get(connection.remotePeer)).protocols.length > 0)
    await downloader.node.libp2p.peerStore.patch(connection.remotePeer, { multiaddrs: [multiaddr(circuit)] })
    const started = performance.now()
    await assert.rejects(downloader.node.libp2p.services.peeritFile.getManifest(connection.remotePeer, 'ab'.repeat(32)), (err: Error & { code?: string }) => {
      assert.equal(err.name, 'RelayLimitedError')
      assert.equal(err.code, 'ERR_RELAY_LIMITED')
      assert.match(err.message, /limits each connection .*relay_server/)
      return true
    })
    assert.ok(performance.now() - started < 5_000, 'failed fast')
  })
})
