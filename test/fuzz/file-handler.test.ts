import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { CONTENT_ID_LENGTH, PROTOCOL } from '../../protocols/file/constants.ts'
import { RequestKind, encodeRequest } from '../../protocols/file/messages.ts'
import { createFileNode, createShareFolder, introduce } from '../fixtures/file-nodes.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, withDeadline } from './guards.ts'
import { fuzzInput } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { FileNode, ShareFolder, SharedFile } from '../fixtures/file-nodes.ts'

/** Requests sent at once per case: at the server's per-peer cap (8), so none is refused for concurrency. */
const BATCH = 8
/** A server that neither answers nor ends a stream within this long has hung. */
const CASE_DEADLINE_MS = 20_000
/** Most bytes read back per request: enough to see a header and the start of a body. */
const READ_LIMIT = 64 * 1024

/**
 * Sends raw bytes on a new `/peerit/file/1.0` stream and reads what comes
 * back (up to READ_LIMIT); the server may answer, close or reset as it likes,
 * but must never hang.
 */
async function exchange (client: FileNode, server: FileNode, request: Uint8Array, closeWrite: boolean): Promise<string> {
  const signal = AbortSignal.timeout(CASE_DEADLINE_MS)
  const stream = await client.dialProtocol(server.peerId, PROTOCOL, { signal })
  let received = 0
  try {
    if (request.byteLength > 0) stream.send(request)
    if (closeWrite) await stream.close({ signal })
    for await (const chunk of stream) {
      received += chunk.byteLength
      if (received >= READ_LIMIT) break
    }
    return received === 0 ? 'closed-empty' : 'answered'
  } catch (err) {
    if (signal.aborted) throw new Error(`hang: the server neither answered nor ended the stream within ${CASE_DEADLINE_MS} ms`)
    return `ended:${(err as Error).name}`
  } finally {
    stream.abort(new Error('fuzz case done'))
  }
}

describe('fuzz: file protocol handler on a real node', () => {
  const trap = new RejectionTrap()
  let folder: ShareFolder
  let shared: SharedFile
  let server: FileNode
  let client: FileNode
  let heap: HeapGuard

  before(async () => {
    folder = await createShareFolder()
    shared = await folder.add('shared.bin', 3 * 1024 * 1024 + 17)
    // A short idle timeout: a request that never completes costs the server (and this test) only that long.
    server = await createFileNode({ lookup: folder.lookup, timeoutMs: 300 })
    client = await createFileNode()
    await introduce(client, server)
    heap = new HeapGuard(96 * 2 ** 20)
  })

  after(async () => {
    await client?.stop()
    await server?.stop()
    await folder?.remove()
    trap.dispose()
  })

  it('survives generated, mutated and random requests without a crash, a hang or an unhandled rejection', async () => {
    const realId = Uint8Array.from(Buffer.from(shared.contentId, 'hex'))
    const request = fc.record({
      kind: fc.oneof(fc.constantFrom(RequestKind.MANIFEST, RequestKind.PIECES), fc.nat({ max: 2 ** 32 - 1 })),
      contentId: fc.oneof(fc.constant(realId), fc.uint8Array({ minLength: CONTENT_ID_LENGTH, maxLength: CONTENT_ID_LENGTH })),
      first: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 2 ** 32 - 1 })),
      count: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 2 ** 32 - 1 }))
    }).map(encodeRequest)
    const exchangeArbitrary = fc.record({
      request: fuzzInput(request, 128),
      closeWrite: fc.oneof({ arbitrary: fc.constant(true), weight: 19 }, { arbitrary: fc.constant(false), weight: 1 })
    })
    const tally = new OutcomeTally()
    const cases = Math.max(1, Math.ceil(FUZZ_RUNS / BATCH))
    await fc.assert(fc.asyncProperty(fc.array(exchangeArbitrary, { minLength: BATCH, maxLength: BATCH }), async batch => {
      const outcomes = await withDeadline(Promise.all(batch.map(async c => exchange(client, server, c.request, c.closeWrite))),
        CASE_DEADLINE_MS + 5000, 'a batch of file requests')
      outcomes.forEach(outcome => { tally.add(outcome) })
    }), fuzzParameters(cases))
    if (LONG_RUN) console.log(tally.summary('file handler'))
  })

  it('still serves an honest request afterwards, byte for byte', async () => {
    const manifest = await client.services.peeritFile.getManifest(server.peerId, shared.contentId)
    const pieces: Uint8Array[] = []
    for await (const piece of client.services.peeritFile.getPieces(server.peerId, shared.contentId, manifest, 0, 4)) {
      pieces.push(piece.bytes)
    }
    assert.deepEqual(Buffer.concat(pieces), Buffer.from(shared.bytes))
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    heap.assertBounded()
  })
})
