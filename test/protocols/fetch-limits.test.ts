import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createFetchNetwork, rawExchange, requestFrame, waitFor } from '../fixtures/fetch-network.ts'
import { sendFetchRequest, sendFetchRequests } from '../fixtures/limits.ts'
import type { FetchNetwork } from '../fixtures/fetch-network.ts'

/** Violations each node reported, as "reporter <- offender: kind" with node indexes. */
function violationLog (network: () => FetchNetwork | undefined, log: string[]) {
  return (reporter: number) => (peer: { toString: () => string }, kind: string) => {
    const offender = network()?.nodes.findIndex(node => node.peerId === peer.toString()) ?? -1
    log.push(`${reporter}<-${offender}:${kind}`)
  }
}

describe('fetch request rate', () => {
  // 0 attacker — 1 victim — 2 honest
  let network: FetchNetwork
  const violations: string[] = []
  before(async () => {
    const report = violationLog(() => network, violations)
    network = await createFetchNetwork({ size: 3, edges: [[0, 1], [1, 2]], fetch: { requestsPerMinute: 30, onViolation: report(1) } })
  })
  after(async () => { await network?.close() })

  it('refuses requests over the rate before any lookup, and still answers an honest peer', async () => {
    const [attacker, victim, honest] = network.nodes
    const lookupsBefore = victim.localCalls.length
    // 30 per minute = 5 per 10-second window (the routing table each neighbour sent on connecting is not a request: refunded)
    const tally = await sendFetchRequests(attacker.libp2p, victim.libp2p, 40)
    assert.ok(tally.answered >= 5 && tally.answered <= 10, `5 per window answered (a window may turn over): ${JSON.stringify(tally)}`)
    assert.equal(tally.answered + tally.refused, 40)
    const stats = victim.libp2p.services.peeritFetch.stats
    assert.equal(stats.rateLimited, tally.refused)
    assert.equal(stats.requestsReceived, tally.answered, 'refused streams never reach the decoder')
    assert.equal(victim.localCalls.length - lookupsBefore, tally.answered, 'nor the file lookup')
    assert.equal(violations.filter(v => v === '1<-0:rate-limit').length, tally.refused)

    const result = await honest.libp2p.services.peeritFetch.fetch({ ttl: 2 })
    assert.deepEqual(result.records.map(r => r.peerId).sort(), [attacker.peerId, victim.peerId].sort(), 'the honest fetch still floods through the victim')
  })
})

describe('fetch concurrency', () => {
  // 0 and 3 ask the victim 1, which forwards to the hanging 2 and so stays busy
  let network: FetchNetwork
  before(async () => {
    network = await createFetchNetwork({
      size: 4,
      edges: [[0, 1], [1, 2], [3, 1]],
      hanging: [2],
      fetch: { hopTimeoutMs: 1_500, maxConcurrentPerPeer: 2, maxConcurrentTotal: 3 }
    })
  })
  after(async () => { await network?.close() })

  it('caps the requests handled at once, per peer and in total, and serves again once they finish', async () => {
    const [first, victim, , second] = network.nodes
    const fetchService = victim.libp2p.services.peeritFetch
    // ttl 2: the victim forwards to the hanging node and waits on it for 1.5 hops
    const busy = [0, 1].map(async () => rawExchange(first, victim, [requestFrame({ ttl: 2 })]))
    await waitFor(() => fetchService.stats.requestsReceived >= 2, 20_000, 'two requests in progress')
    assert.equal(await sendFetchRequest(first.libp2p, victim.libp2p), 'refused', 'a third from the same peer is over the per-peer cap')
    const third = rawExchange(second, victim, [requestFrame({ ttl: 2 })])
    await waitFor(() => fetchService.stats.requestsReceived >= 3, 20_000, 'a third request in progress')
    assert.equal(await sendFetchRequest(second.libp2p, victim.libp2p), 'refused', 'a fourth in all is over the total cap')
    for (const answer of await Promise.all([...busy, third])) {
      assert.ok(answer.frames.some(frame => frame.record?.peerId === victim.peerId), 'the requests in progress are answered')
    }
    assert.equal(await sendFetchRequest(second.libp2p, victim.libp2p), 'answered', 'served again once the others finished')
  })
})

describe('fetch violations and the seen-cache under a storm', () => {
  let network: FetchNetwork
  const violations: string[] = []
  before(async () => {
    const report = violationLog(() => network, violations)
    network = await createFetchNetwork({ size: 2, edges: [[0, 1]], fetch: { maxSeenEntries: 100, onViolation: report(1) } })
  })
  after(async () => { await network?.close() })

  it('reports a malformed frame and a bad TTL as violations of the sender', async () => {
    const [attacker, victim] = network.nodes
    assert.ok((await rawExchange(attacker, victim, [Uint8Array.of(3, 0xff, 0xff, 0xff)])).error != null)
    assert.ok((await rawExchange(attacker, victim, [requestFrame({ ttl: 0 })])).error != null)
    await waitFor(() => violations.length >= 2, 20_000, 'two violations')
    assert.deepEqual(violations, ['1<-0:malformed', '1<-0:malformed'])
  })

  it('keeps the seen-cache within its bound under a storm of fresh ids, and still answers', async () => {
    const [attacker, victim] = network.nodes
    const tally = await sendFetchRequests(attacker.libp2p, victim.libp2p, 400, 8)
    assert.equal(tally.answered, 400)
    const stats = victim.libp2p.services.peeritFetch.stats
    assert.ok(stats.seenCacheSize <= 100, `seen-cache holds ${stats.seenCacheSize}`)
    assert.ok(stats.seenCacheSize >= 90, 'and it did fill up')
  })
})

describe('an empty fetch stream', () => {
  let network: FetchNetwork
  const violations: string[] = []
  before(async () => {
    const report = violationLog(() => network, violations)
    network = await createFetchNetwork({ size: 2, edges: [[0, 1]], fetch: { onViolation: report(1) } })
  })
  after(async () => { await network?.close() })

  it('is reset, not answered, and reported as malformed, as the spec says', async () => {
    const [requester, responder] = network.nodes
    const answer = await rawExchange(requester, responder, [])
    assert.deepEqual(answer.frames, [])
    assert.equal(answer.error?.name, 'StreamResetError')
    await waitFor(() => violations.includes('1<-0:malformed'), 10_000, 'the violation report')
    assert.equal(responder.libp2p.services.peeritFetch.stats.requestsReceived, 0)
  })
})
