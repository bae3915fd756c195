import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { PROTOCOL, PROTOCOL_1_1 } from '../../protocols/fetch/constants.ts'
import { encodeFrame } from '../../protocols/fetch/framing.ts'
import { encodeMessage11 } from '../../protocols/fetch/messages.ts'
import { TABLE_BYTES } from '../../protocols/fetch/routing-table.ts'
import { createFetchNetwork, fakeContentId, rawExchange, requestFrame, waitFor } from '../fixtures/fetch-network.ts'
import type { FetchNetwork, FetchNode } from '../fixtures/fetch-network.ts'

function indexesOf (network: FetchNetwork, peerIds: string[]): number[] {
  return peerIds.map(peerId => network.nodes.findIndex(node => node.peerId === peerId)).sort((a, b) => a - b)
}

function queriedBy (node: FetchNode, word: string): number {
  return node.localCalls.filter(query => query?.words?.includes(word) === true).length
}

const RARE = 'xylophone'

describe('fetch 1.1: query routing tables', () => {
  //        2 (shares the rare word)
  // 0 — 1 — 3
  //        4 (speaks 1.0 only: no table, so always asked)
  let network: FetchNetwork
  before(async () => {
    network = await createFetchNetwork({
      size: 5,
      edges: [[0, 1], [1, 2], [1, 3], [1, 4]],
      fetch: { tableDebounceMs: 10, tableMinIntervalMs: 10 },
      fetchOf: { 4: { protocols: [PROTOCOL] } },
      filesOf: (index) => [{ id: fakeContentId(index, 0), name: index === 2 ? `${RARE} solo.mp3` : `song-${index}.mp3`, size: 1, type: 'music' }]
    })
  })
  after(async () => { await network?.close() })

  it('a last-hop keyword request goes only to neighbours whose table may match (and to those without one)', async () => {
    const [origin, relay, holder, other, old] = network.nodes
    const filteredBefore = relay.libp2p.services.peeritFetch.stats.filtered
    const result = await origin.libp2p.services.peeritFetch.fetch({ ttl: 2, query: { words: [RARE] } })
    assert.deepEqual(indexesOf(network, result.records.map(r => r.peerId)), [1, 2, 4])
    assert.equal(queriedBy(holder, RARE), 1)
    assert.equal(queriedBy(other, RARE), 0, 'the table of 3 rules the word out: 3 is never asked')
    assert.equal(queriedBy(old, RARE), 1, 'a 1.0 peer sent no table: it is asked')
    assert.equal(relay.libp2p.services.peeritFetch.stats.filtered - filteredBefore, 1)
  })

  it('a plain fetch (no words) still reaches everyone', async () => {
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 2 })
    assert.deepEqual(indexesOf(network, result.records.map(r => r.peerId)), [1, 2, 3, 4])
  })

  it('a share change sends a new table, and the next query follows it', async () => {
    const [origin, relay, , other] = network.nodes
    const received = relay.libp2p.services.peeritFetch.stats.tablesReceived
    other.files.push({ id: fakeContentId(3, 1), name: `${RARE} duet.mp3`, size: 2, type: 'music' })
    // a burst of changes is one update after the quiet time
    for (let i = 0; i < 5; i++) other.libp2p.services.peeritFetch.sharesChanged()
    await waitFor(() => relay.libp2p.services.peeritFetch.stats.tablesReceived > received, 10_000, 'the new table')
    const result = await origin.libp2p.services.peeritFetch.fetch({ ttl: 2, query: { words: [RARE] } })
    assert.deepEqual(indexesOf(network, result.records.map(r => r.peerId)), [1, 2, 3, 4])
    assert.equal(queriedBy(other, RARE), 1)
    assert.equal(relay.libp2p.services.peeritFetch.stats.tablesReceived, received + 1, 'five changes in a burst: one table')
  })
})

describe('fetch 1.1: reach tables (the last two hops)', () => {
  // 0 — 1 — 2 — 3 (shares the rare word)
  //      |    4
  //      5 — 6
  let network: FetchNetwork
  before(async () => {
    network = await createFetchNetwork({
      size: 8,
      edges: [[0, 1], [1, 2], [2, 3], [2, 4], [1, 5], [5, 6]],
      fetch: { tableDebounceMs: 10, tableMinIntervalMs: 10 },
      // 7 speaks 1.0 only and joins later
      fetchOf: { 7: { protocols: [PROTOCOL] } },
      filesOf: (index) => [{ id: fakeContentId(index, 0), name: index === 3 ? `${RARE} solo.mp3` : `song-${index}.mp3`, size: 1, type: 'music' }]
    })
  })
  after(async () => { await network?.close() })

  const ask = async (): Promise<number[]> => {
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 3, query: { words: [RARE] } })
    return indexesOf(network, result.records.map(r => r.peerId))
  }

  it('a request two hops from its end goes only where the neighbour or one of its other neighbours may match', async () => {
    const [, relay, branch, holder, , side, behind] = network.nodes
    assert.equal(relay.libp2p.services.peeritFetch.stats.reachTables, 3, '0, 2 and 5 sent reach tables')
    const filteredAtRelay = relay.libp2p.services.peeritFetch.stats.filtered
    assert.deepEqual(await ask(), [1, 2, 3])
    assert.equal(queriedBy(holder, RARE), 1)
    assert.equal(queriedBy(side, RARE), 0, '5 and 6 share nothing that matches: 5 is not asked at TTL 2')
    assert.equal(queriedBy(behind, RARE), 0)
    assert.equal(relay.libp2p.services.peeritFetch.stats.filtered - filteredAtRelay, 1)
    assert.ok(branch.libp2p.services.peeritFetch.stats.filtered >= 1, '2 leaves 4 out on the last hop')
  })

  it('a share change two hops away reaches the reach table, and the next query follows it', async () => {
    const [, relay, , , , side, behind] = network.nodes
    const received = relay.libp2p.services.peeritFetch.stats.tablesReceived
    behind.files.push({ id: fakeContentId(6, 1), name: `${RARE} duet.mp3`, size: 2, type: 'music' })
    behind.libp2p.services.peeritFetch.sharesChanged()
    // 6 tells 5, and 5 tells 1 its new reach table
    await waitFor(() => relay.libp2p.services.peeritFetch.stats.tablesReceived > received, 10_000, '5\'s new reach table')
    assert.deepEqual(await ask(), [1, 2, 3, 5, 6])
    assert.equal(queriedBy(side, RARE), 1)
    assert.equal(queriedBy(behind, RARE), 1)
  })

  it('a neighbour without a table makes the reach table unknown: the request goes through', async () => {
    const [, relay, , , , side, , old] = network.nodes
    // take the rare file back, so only the missing table can let the request through 5
    const received = relay.libp2p.services.peeritFetch.stats.tablesReceived
    network.nodes[6].files.pop()
    network.nodes[6].libp2p.services.peeritFetch.sharesChanged()
    await waitFor(() => relay.libp2p.services.peeritFetch.stats.tablesReceived > received, 10_000, '5\'s reach table without the rare word')
    assert.deepEqual(await ask(), [1, 2, 3])
    await side.libp2p.dial(old.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(10_000) })
    await waitFor(() => relay.libp2p.services.peeritFetch.stats.reachTables === 2, 10_000, '5 to withdraw its reach table')
    const sideAsked = queriedBy(side, RARE)
    assert.deepEqual(await ask(), [1, 2, 3, 5, 7], '7 (1.0, no table) is asked, 6 is left out on the last hop')
    assert.equal(queriedBy(side, RARE), sideAsked + 1)
  })
})

describe('fetch 1.1 next to 1.0 peers', () => {
  // 0 (1.0 only) — 1 — 2 — 3 (1.0 only) — 4
  let network: FetchNetwork
  before(async () => {
    network = await createFetchNetwork({
      size: 5,
      edges: [[0, 1], [1, 2], [2, 3], [3, 4]],
      fetchOf: { 0: { protocols: [PROTOCOL] }, 3: { protocols: [PROTOCOL] } }
    })
  })
  after(async () => { await network?.close() })

  it('an old-only peer fetches through new peers, and new peers through it', async () => {
    const fromOld = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 4 })
    assert.deepEqual(indexesOf(network, fromOld.records.map(r => r.peerId)), [1, 2, 3, 4])
    const fromNew = await network.nodes[4].libp2p.services.peeritFetch.fetch({ ttl: 4, query: { words: ['song'] } })
    assert.deepEqual(indexesOf(network, fromNew.records.map(r => r.peerId)), [0, 1, 2, 3])
    assert.ok(fromNew.records.every(record => record.files.length > 0), 'every peer answered with its files')
  })

  it('peers negotiate 1.1 between themselves and 1.0 with an old peer', async () => {
    const [old, fresh, other] = network.nodes
    const toNew = await fresh.libp2p.dialProtocol(other.libp2p.peerId, [PROTOCOL_1_1, PROTOCOL])
    assert.equal(toNew.protocol, PROTOCOL_1_1)
    toNew.abort(new Error('test done'))
    const toOld = await fresh.libp2p.dialProtocol(old.libp2p.peerId, [PROTOCOL_1_1, PROTOCOL])
    assert.equal(toOld.protocol, PROTOCOL)
    toOld.abort(new Error('test done'))
    assert.equal(old.libp2p.services.peeritFetch.stats.tablesReceived, 0)
    assert.equal(old.libp2p.services.peeritFetch.stats.tablesSent, 0)
  })
})

describe('fetch 1.1: bad routing tables', () => {
  // 0 (sender of junk) — 1 (receiver)
  let network: FetchNetwork
  const violations: string[] = []
  before(async () => {
    network = await createFetchNetwork({
      size: 2,
      edges: [[0, 1]],
      fetch: { tableUpdatesPerMinute: 12, onViolation: (_peer, kind) => { violations.push(kind) } }
    })
  })
  after(async () => { await network?.close() })

  function tableFrame (sequence: number, bytes = TABLE_BYTES, reachBytes?: number): Uint8Array {
    const reach = reachBytes == null ? {} : { reach: new Uint8Array(reachBytes) }
    return encodeFrame(encodeMessage11({ routeTable: { sequence, bitmap: new Uint8Array(bytes), ...reach } }))
  }

  it('a reach table of the wrong size is a violation, and the table beside it is not kept', async () => {
    const [sender, receiver] = network.nodes
    const before = violations.length
    const kept = receiver.libp2p.services.peeritFetch.stats.tablesReceived
    const answer = await rawExchange(sender, receiver, [tableFrame(4, TABLE_BYTES, TABLE_BYTES - 1)], 10_000, PROTOCOL_1_1)
    assert.ok(answer.error != null, 'the stream is aborted')
    assert.deepEqual(violations.slice(before), ['malformed'])
    assert.equal(receiver.libp2p.services.peeritFetch.stats.tablesReceived, kept)
  })

  it('a table of the wrong size is a violation', async () => {
    const [sender, receiver] = network.nodes
    const before = violations.length
    const answer = await rawExchange(sender, receiver, [tableFrame(5, TABLE_BYTES + 1)], 10_000, PROTOCOL_1_1)
    assert.ok(answer.error != null, 'the stream is aborted')
    assert.deepEqual(violations.slice(before), ['malformed'])
  })

  it('a storm of tables is cut off at the allowance, each one over it a violation', async () => {
    const [sender, receiver] = network.nodes
    const before = violations.length
    const keptBefore = receiver.libp2p.services.peeritFetch.stats.tablesReceived
    const outcomes = []
    for (let sequence = 10; sequence < 30; sequence++) {
      outcomes.push(await rawExchange(sender, receiver, [tableFrame(sequence)], 10_000, PROTOCOL_1_1))
    }
    const kept = receiver.libp2p.services.peeritFetch.stats.tablesReceived - keptBefore
    // 12 a minute = 2 per 10 s window (one may have been spent on connecting; a window may turn over)
    assert.ok(kept >= 1 && kept <= 4, `${kept} tables kept`)
    const refused = outcomes.filter(outcome => outcome.error != null).length
    assert.equal(refused, 20 - kept)
    assert.equal(violations.slice(before).filter(kind => kind === 'rate-limit').length, refused)
  })
})

describe('fetch: TTL shadowing and the one-frame rule', () => {
  // 0 — 1 — 2 — 3
  let network: FetchNetwork
  const violations: string[] = []
  before(async () => {
    network = await createFetchNetwork({ size: 4, edges: [[0, 1], [1, 2], [2, 3]], fetch: { hopTimeoutMs: 1_000, onViolation: (_peer, kind) => { violations.push(kind) } } })
  })
  after(async () => { await network?.close() })

  it('a known id that comes back with more TTL is forwarded again, once per level', async () => {
    const [origin, relay] = network.nodes
    const id = crypto.getRandomValues(new Uint8Array(16))
    const peersOf = (answer: { frames: Array<{ record?: { peerId: string } }> }): number[] =>
      indexesOf(network, [...new Set(answer.frames.flatMap(frame => frame.record == null ? [] : [frame.record.peerId]))])
    assert.deepEqual(peersOf(await rawExchange(origin, relay, [requestFrame({ id, ttl: 1 })])), [1], 'TTL 1: no forwarding')
    assert.deepEqual(peersOf(await rawExchange(origin, relay, [requestFrame({ id, ttl: 3 })])), [1, 2, 3], 'more TTL: the far side is searched')
    assert.equal(relay.libp2p.services.peeritFetch.stats.reforwarded, 1)
    const again = await rawExchange(origin, relay, [requestFrame({ id, ttl: 3 })])
    assert.deepEqual(again.frames, [{ duplicate: true }], 'the same TTL again: a duplicate')
    const lower = await rawExchange(origin, relay, [requestFrame({ id, ttl: 2 })])
    assert.deepEqual(lower.frames, [{ duplicate: true }], 'less TTL: a duplicate')
    assert.equal(relay.libp2p.services.peeritFetch.stats.reforwarded, 1)
  })

  it('a second frame right behind the request is refused every time', async () => {
    const [origin, relay] = network.nodes
    const before = violations.length
    const requestsBefore = relay.libp2p.services.peeritFetch.stats.requestsReceived
    for (let i = 0; i < 10; i++) {
      const answer = await rawExchange(origin, relay, [requestFrame({ ttl: 1 }), requestFrame({ ttl: 1 })])
      assert.ok(answer.error != null, `run ${i}: the stream is aborted`)
      assert.deepEqual(answer.frames, [], `run ${i}: nothing is answered`)
    }
    assert.deepEqual(violations.slice(before), Array(10).fill('malformed'))
    assert.equal(relay.libp2p.services.peeritFetch.stats.requestsReceived, requestsBefore, 'nothing was acted on')
  })

  it('a requester that never closes its side gets no answer, and a later frame cannot change that', async () => {
    const [origin, relay] = network.nodes
    const signal = AbortSignal.timeout(10_000)
    const stream = await origin.libp2p.dialProtocol(relay.libp2p.peerId, PROTOCOL, { signal })
    stream.send(requestFrame({ ttl: 1 }))
    const received: number[] = []
    stream.addEventListener('message', (event) => { received.push(event.data.byteLength) })
    await waitFor(() => stream.status !== 'open', 10_000, 'the responder to give up at its hop deadline')
    assert.deepEqual(received, [], 'no answer was sent before the requester\'s end of stream')
  })
})

describe('fetch 1.1: dynamic querying', () => {
  // a star: 0 in the middle of 6 peers, each of which has one more peer behind it
  //   0 — 1..6,  i — i + 6
  let network: FetchNetwork
  before(async () => {
    network = await createFetchNetwork({
      size: 13,
      edges: [1, 2, 3, 4, 5, 6].flatMap(i => [[0, i], [i, i + 6]] as Array<readonly [number, number]>),
      filesOf: (index) => [{ id: fakeContentId(index, 0), name: `common ${index}.mp3`, size: 1, type: 'music' }]
    })
  })
  after(async () => { await network?.close() })

  it('stops after the first round when a few links give enough results', async () => {
    const service = network.nodes[0].libp2p.services.peeritFetch
    const before = service.stats.originated
    const result = await service.fetch({ ttl: 7, query: { words: ['common'] }, limit: 2 })
    assert.equal(result.rounds, 1)
    assert.equal(result.peersReached, 3, 'TTL 1 on 3 links')
    assert.equal(service.stats.originated - before, 3)
  })

  it('widens until the horizon holds no one new when the limit is more than the network has', async () => {
    const service = network.nodes[0].libp2p.services.peeritFetch
    const result = await service.fetch({ ttl: 7, query: { words: ['common'] }, limit: 100 })
    assert.equal(result.peersReached, 12)
    // (1, 3 links) (2, 3) (2, all 6) (3, all) (4, all) (5, all): the last found no one farther in its
    // whole levels (hops ≤ TTL − 2) than the one before
    assert.equal(result.rounds, 6)
    const files = new Set(result.records.flatMap(record => record.files.map(file => file.id)))
    assert.equal(files.size, 12)
  })

  it('a limit without a query is a plain fetch', async () => {
    const result = await network.nodes[0].libp2p.services.peeritFetch.fetch({ ttl: 2, limit: 1 })
    assert.equal(result.rounds, 1)
    assert.equal(result.peersReached, 12)
  })
})
