import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { MAX_FILES_PER_RECORD, MAX_MESSAGE_BYTES, PROTOCOL } from '../../protocols/fetch/constants.ts'
import { FrameReader, encodeFrame } from '../../protocols/fetch/framing.ts'
import { decodeResponse } from '../../protocols/fetch/messages.ts'
import { checkRecord } from '../../protocols/fetch/records.ts'
import { createFetchNetwork, requestFrame } from '../fixtures/fetch-network.ts'
import { requestBodyArbitrary, responseBodyArbitrary } from './fetch-arbitraries.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, withDeadline } from './guards.ts'
import { fuzzInput } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { WireResponse } from '../../protocols/fetch/messages.ts'
import type { FetchNetwork, FetchNode } from '../fixtures/fetch-network.ts'
import type { Stream } from '@libp2p/interface'

/** Exchanges run at once per case: at the per-peer cap (8), so none is refused for concurrency. */
const BATCH = 8
const HOP_TIMEOUT_MS = 400
/** Longest a fuzzed exchange may take: the largest TTL's answer budget, plus generous slack for a loaded machine. */
const CASE_DEADLINE_MS = 10 * HOP_TIMEOUT_MS + 20_000

/** Response bytes the rogue neighbour sends next, one entry per stream it gets. */
const rogueAnswers: Uint8Array[] = []
let rogueStreams = 0

/** The rogue neighbour: whatever the request, it answers with the next fuzzed bytes and closes. */
function rogueHandler (stream: Stream): void {
  rogueStreams++
  const bytes = rogueAnswers.shift() ?? new Uint8Array(0)
  try {
    if (bytes.byteLength > 0) stream.send(bytes)
    void stream.close().catch(() => { stream.abort(new Error('rogue close failed')) })
  } catch (err) {
    stream.abort(err as Error)
  }
}

/** Frames as they go on the wire, concatenated: one to four, as a responder's answer would be. */
const answerStream = fc.array(responseBodyArbitrary.map(encodeFrame), { minLength: 1, maxLength: 4 })
  .map(frames => Uint8Array.from(frames.flatMap(frame => [...frame])))

/** One case: what the attacker sends the target, whether it closes its side, what the rogue neighbour answers. */
const exchangeArbitrary = fc.record({
  request: fuzzInput(requestBodyArbitrary.map(encodeFrame), 128),
  closeWrite: fc.oneof({ arbitrary: fc.constant(true), weight: 49 }, { arbitrary: fc.constant(false), weight: 1 }),
  rogueAnswer: fuzzInput(answerStream, 512)
})

/**
 * Sends `request` raw on a new fetch stream from `from` to `to` and reads
 * the answer. Every frame the target sends must decode, and every record it
 * relays must already be clean (the checks drop nothing); the target may end
 * the stream any way it likes (close, abort, reset).
 */
async function exchange (from: FetchNode, to: FetchNode, request: Uint8Array, closeWrite: boolean): Promise<{ frames: WireResponse[], outcome: string }> {
  const signal = AbortSignal.timeout(CASE_DEADLINE_MS)
  const stream = await from.libp2p.dialProtocol(to.libp2p.peerId, PROTOCOL, { signal })
  const reader = new FrameReader(stream, MAX_MESSAGE_BYTES)
  const frames: WireResponse[] = []
  try {
    if (request.byteLength > 0) stream.send(request)
    if (closeWrite) await stream.close({ signal })
    for (let frame = await reader.next(signal); frame != null; frame = await reader.next(signal)) {
      frames.push(decodeResponse(frame, { maxFilesPerRecord: MAX_FILES_PER_RECORD }))
    }
    return { frames, outcome: frames.length === 0 ? 'closed-empty' : frames[0].duplicate ? 'duplicate' : 'records' }
  } catch (err) {
    const name = (err as Error).name
    // our own decode failing means the target sent a bad frame: that is a finding, not an outcome
    if (name === 'InvalidMessageError' || name === 'MessageTooLargeError') throw err
    if (signal.aborted) throw new Error(`hang: the target neither answered nor ended the stream within ${CASE_DEADLINE_MS} ms`)
    return { frames, outcome: `ended:${name}` }
  } finally {
    reader.dispose()
    stream.abort(new Error('fuzz case done'))
  }
}

describe('fuzz: fetch handler on a real node', () => {
  const trap = new RejectionTrap()
  let heap: HeapGuard
  let network: FetchNetwork
  let attacker: FetchNode
  let target: FetchNode

  before(async () => {
    // attacker 0 — target 1 — rogue 2: the target reads fuzzed requests from 0 and fuzzed answers from 2
    network = await createFetchNetwork({ size: 3, edges: [[0, 1], [1, 2]], handlers: { 2: rogueHandler }, fetch: { hopTimeoutMs: HOP_TIMEOUT_MS } })
    attacker = network.nodes[0]
    target = network.nodes[1]
    heap = new HeapGuard(96 * 2 ** 20)
  })

  after(async () => {
    await network?.close()
    trap.dispose()
  })

  it('any request bytes, and any answer bytes from a neighbour: the target answers with valid, clean frames or ends the stream, in time', async () => {
    const tally = new OutcomeTally()
    const runs = Math.ceil(FUZZ_RUNS / BATCH)
    await fc.assert(fc.asyncProperty(fc.array(exchangeArbitrary, { minLength: BATCH, maxLength: BATCH }), async cases => {
      rogueAnswers.push(...cases.map(c => c.rogueAnswer))
      const results = await withDeadline(Promise.all(cases.map(async c => exchange(attacker, target, c.request, c.closeWrite))), CASE_DEADLINE_MS + 5_000, 'a batch of fetch exchanges')
      for (const { frames, outcome } of results) {
        tally.add(outcome)
        for (const frame of frames) {
          if (frame.record == null) continue
          const checked = checkRecord(frame.record, 1, attacker.peerId)
          assert.equal(checked.dropped, 0, 'the target relayed a record its own checks should have cleaned')
          assert.deepEqual(checked.value, frame.record)
        }
        assert.ok(frames.filter(frame => frame.duplicate).length <= 1 && (frames.length === 1 || frames.every(frame => !frame.duplicate)), '"duplicate" is the only frame of its answer')
      }
      // answers the target did not ask for (requests that were refused or not forwarded) are not carried over
      rogueAnswers.length = 0
    }), fuzzParameters(runs))
    const stats = target.libp2p.services.peeritFetch.stats
    if (LONG_RUN) console.log(tally.summary('fetch handler (requests)'), `| rogue neighbour answered ${rogueStreams} forwarded requests; target stats: received ${stats.requestsReceived}, rejected ${stats.rejected}, timeouts ${stats.timeouts}, records relayed ${stats.recordsRelayed}`)
    assert.ok(tally.total >= runs * BATCH)
  })

  it('the originator reading fuzzed answers: fetch always resolves, with only clean records', async () => {
    const runs = Math.max(20, Math.ceil(FUZZ_RUNS / 20))
    let records = 0
    await fc.assert(fc.asyncProperty(fuzzInput(answerStream, 512), async answer => {
      rogueAnswers.push(answer)
      // the rogue is the target's neighbour: the target originates, TTL 1 asks only its neighbours (0 and 2)
      const result = await withDeadline(target.libp2p.services.peeritFetch.fetch({ ttl: 1 }), CASE_DEADLINE_MS, 'fetch')
      rogueAnswers.length = 0
      for (const record of result.records) {
        records++
        assert.ok(record.hops >= 1 && record.peerId !== target.peerId)
        assert.ok(record.files.every(file => /^[0-9a-f]{64}$/.test(file.id) && Number.isSafeInteger(file.size)))
      }
    }), fuzzParameters(runs))
    if (LONG_RUN) console.log(`fuzz fetch originator: ${runs} fetches against a rogue neighbour, ${records} records kept`)
  })

  // regression: a FrameReader attached after the neighbour had already answered and closed its side missed
  // the stream's one-time 'end' event, so every quick neighbour held a fetch until its deadline
  it('a neighbour that answers and closes at once ends its part of a fetch, not the fetch deadline', async () => {
    const before = target.libp2p.services.peeritFetch.stats.timeouts
    for (const answer of [[], [2, 8, 1], [], [2, 8, 1]]) {
      rogueAnswers.push(Uint8Array.from(answer))
      await target.libp2p.services.peeritFetch.fetch({ ttl: 1, timeoutMs: 60_000 })
    }
    assert.equal(target.libp2p.services.peeritFetch.stats.timeouts, before, 'no neighbour stream was cut by the deadline')
  })

  it('still serves an honest request afterwards, and left no unhandled rejection and bounded memory', async () => {
    const answer = await exchange(attacker, target, requestFrame({ ttl: 1 }), true)
    assert.equal(answer.outcome, 'records')
    assert.deepEqual(answer.frames.map(frame => frame.record?.peerId), [target.peerId])
    const fetched = await attacker.libp2p.services.peeritFetch.fetch({ ttl: 1 })
    assert.ok(fetched.records.some(record => record.peerId === target.peerId))
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz fetch handler: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
