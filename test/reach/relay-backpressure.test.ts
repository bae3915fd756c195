import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport, RELAY_V2_HOP_CODEC, RELAY_V2_STOP_CODEC } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { sendBufferBelow } from '../../protocols/shared/back-pressure.ts'
import { startReachNode, stopReachNodes, until } from '../fixtures/reach-nodes.ts'
import type { ReachNode } from '../fixtures/reach-nodes.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

const MiB = 1024 * 1024

// The circuit relay v2 messages (not exported by the package): the test speaks HOP and STOP itself.
const { HopMessage, StopMessage, Status } = await import(new URL('pb/index.js', import.meta.resolve('@libp2p/circuit-relay-v2')).href)

async function bareNode (listen: string[] = ['/ip4/127.0.0.1/tcp/0']): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify() }
  })
}

/**
 * Offers up to `limit` bytes on `stream`, waiting for each drain at most
 * `stallMs`; resolves with the bytes offered and those the stream took
 * (sent on, not queued).
 */
async function offer (stream: Stream, limit: number, stallMs: number): Promise<{ offered: number, taken: number }> {
  const chunk = new Uint8Array(64 * 1024)
  let offered = 0
  while (offered < limit) {
    offered += chunk.byteLength
    stream.send(chunk)
    try {
      await sendBufferBelow(stream, chunk.byteLength, AbortSignal.timeout(stallMs))
    } catch {
      break
    }
  }
  return { offered, taken: offered - stream.writeBufferLength }
}

describe('relay back-pressure', () => {
  const nodes: ReachNode[] = []
  const bare: Libp2p[] = []

  after(async () => {
    await Promise.all(bare.map(async node => node.stop()))
    await stopReachNodes(nodes)
  })

  // Uncapped (3 MiB windows), and with a total rate (1 MiB windows): the rate's hold and this one
  // hold the same stream together, and neither lets go for the other.
  for (const { caps, limits, bound } of [
    { caps: 'uncapped', limits: {}, bound: 16 * MiB },
    { caps: 'with relay_bytes_per_second', limits: { relayBytesPerSecond: 32 * MiB }, bound: 8 * MiB }
  ]) {
    it(`a relay (${caps}) holds the sender back while the other side does not read, and forwards everything once it does`, async () => {
      const relay = await startReachNode({ reach: { relayServer: true, publicNetworks: ['127.0.0.1/32'] }, limits })
      nodes.push(relay)
      // The target holds a slot, answers the relay's STOP and then does not read: like a peer
      // on a slow link, or one that stalls on purpose.
      const target = await bareNode(['/ip4/127.0.0.1/tcp/0', `${relay.address}/p2p-circuit`])
      bare.push(target)
      await until('the target holds a slot', () => target.getMultiaddrs().some(a => a.toString().includes('/p2p-circuit')))
      await target.unhandle(RELAY_V2_STOP_CODEC)
      let targetLeg: Stream | undefined
      await target.handle(RELAY_V2_STOP_CODEC, async (stream) => {
        const stop = pbStream(stream).pb(StopMessage)
        await stop.read()
        await stop.write({ type: StopMessage.Type.STATUS, status: Status.OK })
        targetLeg = stop.unwrap().unwrap()
        targetLeg.pause()
      }, { runOnLimitedConnection: true })

      // The dialer sends raw bytes down its hop, ignoring any end-to-end flow control.
      const dialer = await bareNode()
      bare.push(dialer)
      const connection = await dialer.dial(multiaddr(relay.address))
      const hop = pbStream(await connection.newStream(RELAY_V2_HOP_CODEC)).pb(HopMessage)
      await hop.write({ type: HopMessage.Type.CONNECT, peer: { id: target.peerId.toMultihash().bytes, addrs: [] } })
      const answer = await hop.read() as { status?: unknown }
      assert.equal(answer.status, Status.OK)
      const dialerLeg = hop.unwrap().unwrap()

      const { offered, taken } = await offer(dialerLeg, 64 * MiB, 1_500)
      // Held: the relay's window for the dialer's leg, the target's 256 KiB, and what is queued
      // between them. Without the hold the relay kept reading and took all 64 MiB.
      assert.ok(taken < bound, `the relay took ${(taken / MiB).toFixed(1)} MiB from a sender whose receiver does not read`)
      assert.ok(targetLeg != null)

      let received = 0
      targetLeg.addEventListener('message', (event) => { received += event.data.byteLength })
      targetLeg.resume()
      const more = await offer(dialerLeg, 8 * MiB, 10_000)
      assert.equal(more.offered, 8 * MiB, 'the sender goes on once the receiver reads')
      await until('every byte reached the target', () => received === offered + more.offered)
    })
  }
})
