import assert from 'node:assert/strict'
import { it } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { StreamReader } from '../../protocols/file/stream-reader.ts'
import type { AbstractMessageStream } from '@libp2p/utils'

const OPTIONS = { highWaterMark: 1024 * 1024, timeoutMs: 10_000 }

it('a response the server ends early is a ProtocolError (held against the server)', async () => {
  const [client, server] = await streamPair()
  const reader = new StreamReader(client, OPTIONS)
  server.send(new Uint8Array(10))
  await server.close()
  await assert.rejects(reader.readInto(new Uint8Array(20)), { name: 'ProtocolError' })
  reader.dispose()
})

it('a response cut by the connection closing under it is a ConnectionClosedError (a lost path)', async () => {
  const [client, server] = await streamPair()
  const reader = new StreamReader(client, OPTIONS)
  server.send(new Uint8Array(10))
  const first = new Uint8Array(10)
  await reader.readInto(first)
  // What libp2p does to every stream of a connection whose transport ended (a relay killed):
  // the stream closes with no error and no end from the server.
  ;(client as unknown as AbstractMessageStream).onTransportClosed()
  await assert.rejects(reader.readInto(new Uint8Array(10)), { name: 'ConnectionClosedError' })
  reader.dispose()
})
