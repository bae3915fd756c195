import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import fc from 'fast-check'
import { IpcClient } from '../../src/ipc/client.ts'
import { MAX_LINE_BYTES } from '../../src/ipc/json-rpc.ts'
import { IpcServer } from '../../src/ipc/server.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, withDeadline } from './guards.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { RpcHandler } from '../../src/ipc/server.ts'
import type { Socket } from 'node:net'

const LINES_PER_CONNECTION = 10
const utf8 = new TextEncoder()
const lenientUtf8 = new TextDecoder()

/** A few methods of the kinds the daemon has: echoing params, failing, reporting progress, throwing odd values. */
const methods: Record<string, RpcHandler> = {
  echo: async params => params,
  fail: async () => { throw Object.assign(new Error('no such file'), { code: 'ERR_FILE_NOT_FOUND', name: 'FileNotFoundError' }) },
  badParams: async () => { throw Object.assign(new Error('bad'), { code: 'ERR_INVALID_PARAMS' }) },
  progress: async (params, { progress }) => {
    progress({ done: 1 })
    await new Promise(resolve => setImmediate(resolve))
    progress(params)
    return 'done'
  },
  // a handler that rejects with whatever value the caller names (undefined, null, a string, an object…)
  throwValue: async params => { throw params.value }
}
const METHOD_NAMES = [...Object.keys(methods), 'nope', '__proto__', 'constructor', 'hasOwnProperty', '']

const id = fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.double(), fc.constant(null), fc.boolean())
const params = fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }), fc.constant(undefined), fc.jsonValue({ maxDepth: 1 }))

/** Request objects: mostly well-formed, with any field possibly of the wrong kind. */
const requestShape = fc.record({
  jsonrpc: fc.oneof({ arbitrary: fc.constant('2.0'), weight: 5 }, { arbitrary: fc.jsonValue({ maxDepth: 0 }), weight: 1 }),
  id: fc.oneof({ arbitrary: fc.integer(), weight: 4 }, { arbitrary: id, weight: 1 }),
  method: fc.oneof({ arbitrary: fc.constantFrom(...METHOD_NAMES), weight: 5 }, { arbitrary: fc.jsonValue({ maxDepth: 0 }), weight: 1 }),
  params: fc.oneof({ arbitrary: params, weight: 3 }, { arbitrary: fc.record({ value: fc.jsonValue({ maxDepth: 1 }) }), weight: 1 })
}, { requiredKeys: [] })

/** One line's bytes, without its newline; printed shortened, so a failing case with a 50,000-deep line stays readable. */
interface Line {
  bytes: Uint8Array
}

function line (raw: Uint8Array): Line {
  // a newline inside a generated string would split it into two lines the test did not count
  const bytes = raw.map(byte => byte === 0x0a ? 0x20 : byte)
  return {
    bytes,
    [fc.toStringMethod]: () => {
      const text = JSON.stringify(lenientUtf8.decode(bytes))
      return text.length > 120 ? `${text.slice(0, 100)}…(${bytes.byteLength} bytes)` : text
    }
  } as Line
}

const lineArbitrary = fc.oneof(
  { arbitrary: requestShape.map(request => utf8.encode(JSON.stringify(request))), weight: 6 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }).map(value => utf8.encode(JSON.stringify(value))), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }).map(text => utf8.encode(text)), weight: 1 },
  // invalid UTF-8 (lone continuation bytes, truncated sequences, overlongs) around a valid request
  { arbitrary: fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 12 }).map(bytes => bytes.map(byte => byte | 0x80)), requestShape).map(([bad, request]) => Uint8Array.from([...utf8.encode(JSON.stringify(request).slice(0, -1)), ...bad, 0x7d])), weight: 1 },
  { arbitrary: fc.uint8Array({ maxLength: 80 }), weight: 1 },
  // deep JSON: a parse-able value nested far past what a recursive serialiser can handle
  { arbitrary: fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer()).map(([depth, requestId]) => utf8.encode(`{"jsonrpc":"2.0","id":${requestId},"method":"echo","params":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`)), weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', '\t', '\r', '\u00a0').map(text => utf8.encode(text)), weight: 1 }
).map(line)

/** The id the server must answer with: the request's own when it parses as an object with a string or number id, else null (as JSON renders it). */
function expectedId (line: Uint8Array): string {
  let value: unknown
  try {
    value = JSON.parse(lenientUtf8.decode(line))
  } catch {
    return 'null'
  }
  const candidate = (value as { id?: unknown } | null)?.id
  return typeof candidate === 'number' || typeof candidate === 'string' ? JSON.stringify(candidate) : 'null'
}

function isBlank (line: Uint8Array): boolean {
  return lenientUtf8.decode(line).trim() === ''
}

/** Checks one line the server sent is a JSON-RPC 2.0 response or progress notification; returns the response's id as JSON, or undefined for a notification. */
function checkServerLine (text: string): string | undefined {
  const message = JSON.parse(text)
  assert.equal(typeof message, 'object')
  assert.equal(message.jsonrpc, '2.0')
  if ('method' in message) {
    assert.equal(message.method, 'progress')
    assert.ok(typeof message.params.id === 'number' || typeof message.params.id === 'string')
    return undefined
  }
  assert.ok(message.id === null || typeof message.id === 'number' || typeof message.id === 'string')
  assert.notEqual('result' in message, 'error' in message, 'exactly one of result and error')
  if ('error' in message) {
    assert.ok(Number.isInteger(message.error.code))
    assert.equal(typeof message.error.message, 'string')
  }
  return JSON.stringify(message.id)
}

/** Opens a raw connection and collects the server's lines as they come. */
async function rawConnection (socketPath: string): Promise<{ socket: Socket, lines: string[], closed: Promise<void>, waitForResponses: (count: number) => Promise<void> }> {
  const socket = connect(socketPath)
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject) })
  const lines: string[] = []
  let responses = 0
  let buffered = ''
  let wake = (): void => {}
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    buffered += chunk
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      lines.push(line)
      if (!line.includes('"method":"progress"')) responses++
    }
    wake()
  })
  socket.on('error', () => {})
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  const waitForResponses = async (count: number): Promise<void> => {
    // eslint-disable-next-line no-unmodified-loop-condition -- the socket's data handler counts responses
    while (responses < count) {
      await Promise.race([new Promise<void>(resolve => { wake = resolve }), closed])
      if (socket.destroyed && responses < count) throw new Error(`connection closed after ${responses} of ${count} responses`)
    }
  }
  return { socket, lines, closed, waitForResponses }
}

describe('fuzz: IPC JSON-RPC server', () => {
  const trap = new RejectionTrap()
  let heap: HeapGuard
  let folder: string
  let server: IpcServer
  let socketPath: string

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'peerit-fuzz-ipc-'))
    socketPath = join(folder, 'peerit.sock')
    server = new IpcServer({ socketPath, methods, logger: defaultLogger() })
    await server.listen()
    heap = new HeapGuard(64 * 2 ** 20)
  })

  after(async () => {
    await server?.close()
    trap.dispose()
    await rm(folder, { recursive: true, force: true })
  })

  it('answers every complete line of random, malformed, invalid-UTF-8 and deep input with one valid JSON-RPC response, chunked anywhere', async () => {
    const tally = new OutcomeTally()
    const runs = Math.ceil(FUZZ_RUNS / LINES_PER_CONNECTION)
    const input = fc.tuple(fc.array(lineArbitrary, { minLength: 1, maxLength: LINES_PER_CONNECTION * 2 - 1 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 5 }))
    await fc.assert(fc.asyncProperty(input, async ([wrapped, partialLast, cuts]) => {
      const lines = wrapped.map(entry => entry.bytes)
      const bytes = Uint8Array.from(lines.flatMap((line, i) => i === lines.length - 1 && partialLast ? [...line] : [...line, 0x0a]))
      const complete = partialLast ? lines.slice(0, -1) : lines
      const answered = complete.filter(line => !isBlank(line))
      const connection = await rawConnection(socketPath)
      try {
        const offsets = [...new Set(cuts.map(cut => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b)
        let start = 0
        for (const offset of [...offsets, bytes.byteLength]) {
          if (offset > start) connection.socket.write(bytes.subarray(start, offset))
          start = Math.max(start, offset)
        }
        await withDeadline(connection.waitForResponses(answered.length), 20_000, 'IPC responses')
        const ids = connection.lines.map(checkServerLine).filter(id => id != null)
        assert.deepEqual(ids.sort(), answered.map(expectedId).sort())
        for (const line of connection.lines) tally.add(line.includes('"error"') ? `error ${/"code":(-?\d+)/.exec(line)?.[1]}` : line.includes('"method":"progress"') ? 'progress' : 'result')
      } finally {
        connection.socket.destroy()
      }
    }), fuzzParameters(runs))
    if (LONG_RUN) console.log(tally.summary('ipc server (lines sent in ~' + runs + ' connections)'))
  })

  it('refuses a line over the limit with one error, then ends the connection', async () => {
    const connection = await rawConnection(socketPath)
    const ended = new Promise<void>(resolve => connection.socket.once('end', () => { resolve() }))
    try {
      connection.socket.write(new Uint8Array(MAX_LINE_BYTES + 1024).fill(0x61))
      await withDeadline(ended, 20_000, 'the server to end the connection')
      assert.deepEqual(connection.lines.map(text => JSON.parse(text).error?.code), [-32600])
    } finally {
      connection.socket.destroy()
    }
  })

  // regression: the error path read err.message (and String(err)) unguarded, so a handler rejecting with
  // undefined, null or an object whose toString is not a function left an unhandled rejection and no answer
  it('answers a handler that rejects with undefined, null or an unprintable object with an error', async () => {
    const connection = await rawConnection(socketPath)
    try {
      const values = ['null', '{"toString":1}', '{"message":{"a":1}}']
      connection.socket.write('{"jsonrpc":"2.0","id":1,"method":"throwValue","params":{}}\n')
      values.forEach((value, i) => connection.socket.write(`{"jsonrpc":"2.0","id":${i + 2},"method":"throwValue","params":{"value":${value}}}\n`))
      await withDeadline(connection.waitForResponses(4), 20_000, 'four answers')
      const answers = connection.lines.map(text => JSON.parse(text)).sort((a, b) => a.id - b.id)
      assert.deepEqual(answers.map(answer => [answer.id, answer.error?.code]), [[1, -32603], [2, -32603], [3, -32603], [4, -32603]])
      trap.assertSilent()
    } finally {
      connection.socket.destroy()
    }
  })

  // regression: an error whose data (candidates) is nested 50,000 deep threw in JSON.stringify inside the
  // error path: an unhandled rejection and no answer
  it('answers an error too deep to serialise with an internal error', async () => {
    const connection = await rawConnection(socketPath)
    try {
      connection.socket.write(`{"jsonrpc":"2.0","id":9,"method":"throwValue","params":{"value":{"candidates":${'['.repeat(50_000)}${']'.repeat(50_000)}}}}\n`)
      await withDeadline(connection.waitForResponses(1), 20_000, 'an answer')
      assert.deepEqual(JSON.parse(connection.lines[0]), { jsonrpc: '2.0', id: 9, error: { code: -32603, message: 'the answer could not be serialised' } })
    } finally {
      connection.socket.destroy()
    }
  })

  it('survives it all: a normal client still gets its answer', async () => {
    const client = await IpcClient.connect(socketPath)
    try {
      assert.deepEqual(await client.call('echo', { hello: 'world' }), { hello: 'world' })
    } finally {
      client.close()
    }
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz ipc: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
