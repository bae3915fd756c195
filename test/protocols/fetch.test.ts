import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { FrameReader, encodeFrame } from '../../protocols/fetch/framing.ts'
import { encodeResponse } from '../../protocols/fetch/messages.ts'
import { sendBufferBelow } from '../../protocols/shared/back-pressure.ts'
import { createFetchNetwork, hopDistances, lineEdges, randomGraphEdges, rawExchange, requestFrame, ringEdges, waitFor } from '../fixtures/fetch-network.ts'
import type { FetchNetwork, FetchNode } from '../fixtures/fetch-network.ts'
import type { Stream } from '@libp2p/interface'

/** Runs a fetch from `node` and returns the reached nodes' indexes, sorted. */
async function reachedFrom (network: FetchNetwork, node: FetchNode, ttl: number): Promise<number[]> {
  const result = await node.libp2p.services.peeritFetch.fetch({ ttl })
  return result.records.map(record => network.nodes.findIndex(n => n.peerId === record.peerId)).sort((a, b) => a - b)
}

function within (network: FetchNetwork, source: number, ttl: number): number[] {
  return hopDistances(network.nodes.length, network.edges, source)
    .flatMap((distance, index) => distance > 0 && distance <= ttl ? [index] : [])
}

function localCallCounts (network: FetchNetwork): number[] {
  return network.nodes.map(node => node.localCalls.length)
}

function totalStat (network: FetchNetwork, stat: 'originated' | 'forwarded' | 'duplicates' | 'rejected'): number {
  return network.nodes.reduce((sum, node) => sum + node.libp2p.services.peeritFetch.stats[stat], 0)
}

describe('fetch on a line', () => {
  let network: FetchNetwork
  before(async () => { network = await createFetchNetwork({ size: 13, edges: lineEdges(13) }) })
  after(async () => { await network?.close() })

  it('reaches every peer within the TTL, each answering once with its files, addresses and distance', async () => {
    const before = localCallCounts(network)
    const seen: string[] = []
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 4, onRecord: record => seen.push(record.peerId) })
    assert.equal(result.peersReached, 4)
    assert.match(result.fetchId, /^[0-9a-f]{32}$/)
    for (const record of result.records) {
      const provider = network.nodes.find(node => node.peerId === record.peerId)
      assert.ok(provider != null, 'every record names a peer of the network')
      assert.equal(record.hops, provider.index)
      assert.deepEqual(record.files, provider.files)
      assert.deepEqual(record.addresses, provider.libp2p.getMultiaddrs().map(address => address.toString()))
    }
    assert.deepEqual(localCallCounts(network).map((count, i) => count - before[i]), [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(seen.sort(), result.records.map(record => record.peerId).sort(), 'onRecord saw every record')
  })

  it('TTL 1 reaches only the neighbours', async () => {
    assert.deepEqual(await reachedFrom(network, network.nodes[5], 1), [4, 6])
  })

  it('clamps a TTL of 255 asked through the API to 10', async () => {
    assert.deepEqual(await reachedFrom(network, network.nodes[0], 255), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('clamps a TTL of 255 from the wire to 10', async () => {
    const answer = await rawExchange(network.nodes[0], network.nodes[1], [requestFrame({ ttl: 255 })])
    assert.equal(answer.error, undefined)
    const hops = answer.frames.map(frame => frame.record?.hops).sort((a = 0, b = 0) => a - b)
    assert.deepEqual(hops, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
  })

  it('answers a replayed fetch id "duplicate" without asking for local files again', async () => {
    const id = crypto.getRandomValues(new Uint8Array(16))
    const first = await rawExchange(network.nodes[0], network.nodes[1], [requestFrame({ id, ttl: 1 })])
    assert.equal(first.frames.length, 1)
    const calls = network.nodes[1].localCalls.length
    for (let i = 0; i < 3; i++) {
      const again = await rawExchange(network.nodes[0], network.nodes[1], [requestFrame({ id, ttl: 1 })])
      assert.deepEqual(again.frames, [{ duplicate: true }])
    }
    assert.equal(network.nodes[1].localCalls.length, calls)
  })

  it('passes the query to localFiles', async () => {
    await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 2, query: { words: ['song', ' mp3 '], type: 'music' } })
    assert.deepEqual(network.nodes[2].localCalls.at(-1), { words: ['song', 'mp3'], type: 'music' })
    await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 1 })
    assert.equal(network.nodes[1].localCalls.at(-1), undefined, 'no query: undefined, meaning every file')
  })

  it('rejects TTL 0 from the API', async () => {
    await assert.rejects(network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 0 }), { name: 'InvalidTtlError' })
  })
})

describe('fetch on a ring', () => {
  let network: FetchNetwork
  before(async () => { network = await createFetchNetwork({ size: 8, edges: ringEdges(8) }) })
  after(async () => { await network?.close() })

  it('loops cost nothing: every peer answers once and no request crosses a link twice in one direction', async () => {
    const calls = localCallCounts(network)
    const sent = totalStat(network, 'originated') + totalStat(network, 'forwarded')
    const duplicates = totalStat(network, 'duplicates')
    assert.deepEqual(await reachedFrom(network, network.nodes[3], 7), [0, 1, 2, 4, 5, 6, 7])
    assert.deepEqual(localCallCounts(network).map((count, i) => count - calls[i]), [1, 1, 1, 0, 1, 1, 1, 1])
    const requests = totalStat(network, 'originated') + totalStat(network, 'forwarded') - sent
    assert.ok(requests <= 2 * network.edges.length, `${requests} requests on ${network.edges.length} links`)
    assert.ok(totalStat(network, 'duplicates') > duplicates, 'the two halves of the flood met and one was answered duplicate')
  })
})

describe('fetch on a random graph', () => {
  let network: FetchNetwork
  before(async () => { network = await createFetchNetwork({ size: 20, edges: randomGraphEdges(20, 4, 7) }) })
  after(async () => { await network?.close() })

  for (const ttl of [1, 2, 3, 7]) {
    it(`TTL ${ttl} reaches exactly the peers within ${ttl} hops, each answering once`, async () => {
      const calls = localCallCounts(network)
      const expected = within(network, 0, ttl)
      assert.deepEqual(await reachedFrom(network, network.nodes[0], ttl), expected)
      const answered = localCallCounts(network).flatMap((count, i) => count > calls[i] ? [i] : [])
      assert.deepEqual(answered, expected)
      assert.ok(localCallCounts(network).every((count, i) => count - calls[i] <= 1))
    })
  }
})

describe('fetch with peers that misbehave', () => {
  const hopTimeoutMs = 1_000
  let network: FetchNetwork
  /** Peer 6 answers with endless fake files and a record for a peer id that does not parse. */
  const flooder = async (stream: Stream): Promise<void> => {
    const reader = new FrameReader(stream, 65_536)
    await reader.next(AbortSignal.timeout(10_000))
    const fake = (n: number): Uint8Array => encodeFrame(encodeResponse({
      duplicate: false,
      record: {
        peerId: network.nodes[6].peerId,
        addresses: [],
        files: Array.from({ length: 128 }, (_, i) => ({ id: new Uint8Array(32).fill(1), name: `fake-${n}-${i}`, size: 1, type: 'other' })),
        hops: 1
      }
    }))
    stream.send(encodeFrame(encodeResponse({ duplicate: false, record: { peerId: 'not-a-peer-id', addresses: [], files: [], hops: 2 } })))
    for (let n = 0; n < 50 && stream.status === 'open'; n++) {
      stream.send(fake(n))
      await sendBufferBelow(stream, 65_536, AbortSignal.timeout(10_000))
    }
    await stream.close().catch(() => {})
  }

  before(async () => {
    // 0 — 1 — 2 (hangs)      0 — 5 (hangs)      0 — 6 (floods)
    //     1 — 3 — 4
    network = await createFetchNetwork({
      size: 7,
      edges: [[0, 1], [1, 2], [1, 3], [3, 4], [0, 5], [0, 6]],
      hanging: [2, 5],
      handlers: { 6: flooder },
      fetch: { hopTimeoutMs, maxRecordsPerStream: 5 }
    })
  })
  after(async () => { await network?.close() })

  it('a hanging peer does not stall the fetch past its deadline', async () => {
    const ttl = 3
    const started = Date.now()
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl })
    const elapsed = Date.now() - started
    const reached = result.records.map(record => network.nodes.findIndex(n => n.peerId === record.peerId)).sort()
    assert.deepEqual(reached, [1, 3, 4, 6], 'everyone but the hanging peers answered, through the hanging branch too')
    // the deadline is (ttl + 1) hops; the margin only absorbs a loaded machine
    assert.ok(elapsed < (ttl + 1) * hopTimeoutMs + 5_000, `took ${elapsed} ms`)
    assert.ok(network.nodes[0].libp2p.services.peeritFetch.stats.timeouts >= 1)
    assert.ok(network.nodes[1].libp2p.services.peeritFetch.stats.timeouts >= 1, 'the relay gave up on its hanging neighbour on its own')
  })

  it('a peer answering with endless fake files is cut off at the per-stream bound', async () => {
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 1 })
    const flood = result.records.find(record => record.peerId === network.nodes[6].peerId)
    assert.ok(flood != null)
    assert.ok(flood.files.length <= 5 * 128, `${flood.files.length} files kept`)
    assert.ok(result.records.every(record => record.peerId !== 'not-a-peer-id'), 'a record whose peer id does not parse is dropped')
    assert.ok(result.records.some(record => record.peerId === network.nodes[1].peerId), 'honest peers still answered')
  })

  it('garbage, oversized, truncated and TTL-0 frames abort only their stream; the node keeps serving', async () => {
    const target = network.nodes[1]
    const rejectedBefore = target.libp2p.services.peeritFetch.stats.rejected
    const bad: Record<string, Uint8Array[]> = {
      garbage: [crypto.getRandomValues(new Uint8Array(64)).fill(0x05, 0, 1)],
      oversized: [Uint8Array.of(0xff, 0xff, 0xff, 0x7f)],
      truncated: [requestFrame().subarray(0, 10)],
      'TTL 0': [requestFrame({ ttl: 0 })],
      'a second frame': [requestFrame({ ttl: 1 }), requestFrame({ ttl: 1 })]
    }
    for (const [what, bytes] of Object.entries(bad)) {
      const answer = await rawExchange(network.nodes[0], target, bytes)
      assert.ok(answer.error != null, `${what}: the stream was aborted`)
    }
    await waitFor(() => target.libp2p.services.peeritFetch.stats.rejected >= rejectedBefore + 5, 10_000, 'the node to count the bad streams')
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 1 })
    assert.ok(result.records.some(record => record.peerId === target.peerId), 'the node still answers')
    assert.equal(target.libp2p.status, 'started')
  })
})
