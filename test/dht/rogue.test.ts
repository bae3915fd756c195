import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { findContentProviders, MAX_PROVIDERS } from '../../src/dht/lookup.ts'
import { DHT_PROTOCOL } from '../../src/dht/service.ts'
import { eventually } from '../fixtures/daemons.ts'
import { DhtNetwork } from '../fixtures/dht-nodes.ts'
import type { PeerNode } from '../../src/peer-node.ts'
import type { Libp2p } from '@libp2p/interface'

// The kad-dht wire format (libp2p kad-dht spec): Message { type = 1 (varint),
// closerPeers = 8, providerPeers = 9 }, Peer { id = 1, addrs = 2 }. Written
// by hand here so the rogue needs nothing from kad-dht.
const GET_PROVIDERS = 3

function varint (value: number): Uint8Array {
  const bytes: number[] = []
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80)
    value >>>= 7
  }
  bytes.push(value)
  return Uint8Array.from(bytes)
}

function field (tag: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([varint(tag), varint(bytes.length), bytes])
}

/** A provider that does not exist: a random sha2-256 peer id at a loopback port. */
function bogusPeer (): Buffer {
  const id = Buffer.concat([Buffer.from([0x12, 0x20]), randomBytes(32)])
  return Buffer.concat([field(0x0a, id), field(0x12, multiaddr(`/ip4/127.0.0.1/tcp/${1 + (randomBytes(2).readUInt16BE() % 60000)}`).bytes)])
}

/** A DHT peer (it answers pings, so kad-dht lets it in) that answers every GET_PROVIDERS with `count` bogus providers, or anything with garbage. */
async function rogueDhtPeer (answer: 'flood' | 'garbage', count = 5000): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), ping: ping() }
  })
  const flood = Buffer.concat(Array.from({ length: count }, () => field(0x4a, bogusPeer())))
  await node.handle(DHT_PROTOCOL, async (stream) => {
    const lp = lpStream(stream, { maxDataLength: 64 * 1024 })
    try {
      for (;;) {
        const request = (await lp.read()).subarray()
        const type = request[0] === 0x08 ? request[1] : 0
        const body = answer === 'garbage'
          ? randomBytes(2000)
          : Buffer.concat([Buffer.from([0x08, type]), type === GET_PROVIDERS ? flood : Buffer.alloc(0)])
        await lp.write(body)
      }
    } catch {
      stream.abort(new Error('rogue done'))
    }
  })
  return node
}

describe('DHT lookups against rogue DHT peers', () => {
  const network = new DhtNetwork()
  const rogues: Libp2p[] = []
  let victim: PeerNode

  before(async () => {
    victim = await network.node()
  })

  after(async () => {
    await Promise.all(rogues.map(async r => r.stop()))
    await network.close()
  })

  async function join (answer: 'flood' | 'garbage'): Promise<Libp2p> {
    const rogue = await rogueDhtPeer(answer)
    rogues.push(rogue)
    await rogue.dial(victim.libp2p.getMultiaddrs()[0])
    await eventually(async () => (victim.status().dht?.routingTablePeers ?? 0) >= rogues.length, { what: 'the rogue in the routing table', timeoutMs: 60_000 })
    return rogue
  }

  it('5,000 bogus providers in one answer: at most 20 are considered, quickly', async () => {
    await join('flood')
    const started = Date.now()
    // A deadline far beyond the work: finishing before it means the lookup stopped at the cap.
    const providers = await findContentProviders(victim.libp2p.services.dht!, 'cd'.repeat(32), { timeoutMs: 60_000 })
    assert.equal(providers.length, MAX_PROVIDERS)
    assert.ok(providers.every(p => p.multiaddrs.length <= 16))
    assert.ok(Date.now() - started < 60_000, 'stopped at the cap, not at the deadline')
  })

  it('a DHT peer answering garbage costs a bounded wait and no exception', async () => {
    for (const r of rogues.splice(0)) {
      await victim.libp2p.hangUp(r.peerId)
      await r.stop()
    }
    await join('garbage')
    const providers = await findContentProviders(victim.libp2p.services.dht!, 'ef'.repeat(32), { timeoutMs: 3000 })
    assert.equal(providers.length, 0)
    await assert.rejects(victim.downloadFile('ef'.repeat(32)), (err: any) => err.code === 'ERR_FILE_NOT_FOUND')
  })
})
