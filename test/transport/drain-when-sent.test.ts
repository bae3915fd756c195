import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TypedEventEmitter } from 'main-event'
import { drainWhenSent } from '../../src/transport/drain-when-sent.ts'
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'

/** Just what the wrapper touches of an encrypted connection: its events, its sends and its write buffer. */
class FakeConnection extends TypedEventEmitter<{ drain: Event, idle: Event }> {
  writeBufferLength = 0

  send (data: Uint8Array): boolean {
    this.writeBufferLength += data.byteLength
    return false
  }

  /** The socket took `bytes` of the buffer and drained. */
  socketDrained (bytes: number): void {
    this.writeBufferLength -= bytes
    this.dispatchEvent(new Event('drain'))
    if (this.writeBufferLength === 0) {
      this.dispatchEvent(new Event('idle'))
    }
  }
}

/** Lets the microtasks queued by a drain run. */
async function settle (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/** An encrypter whose secured connection is `connection`, wrapped by drainWhenSent. */
async function secured (connection: FakeConnection): Promise<MessageStream> {
  const encrypter = {
    protocol: '/fake/1.0.0',
    secureInbound: async () => ({ connection: connection as unknown as MessageStream, remotePeer: undefined }),
    secureOutbound: async () => ({ connection: connection as unknown as MessageStream, remotePeer: undefined })
  } as unknown as ConnectionEncrypter
  const wrapped = drainWhenSent(() => encrypter)({})
  assert.equal(wrapped.protocol, '/fake/1.0.0', 'the rest of the encrypter shows through')
  return (await wrapped.secureInbound(connection as unknown as MessageStream)).connection
}

describe('drainWhenSent', () => {
  it('tells a later drain listener only once the write buffer is empty, once per wait', async () => {
    const connection = new FakeConnection()
    const own: string[] = []
    connection.addEventListener('drain', () => { own.push('drain') })
    const stream = await secured(connection)
    const heard: string[] = []
    stream.addEventListener('drain', () => { heard.push('drain') })
    connection.send(new Uint8Array(1024))
    connection.dispatchEvent(new Event('drain'))
    connection.dispatchEvent(new Event('drain'))
    assert.deepEqual(own, ['drain', 'drain'], 'the connection\'s own listener still hears every drain')
    assert.deepEqual(heard, [], 'nothing while bytes wait below')
    connection.writeBufferLength = 0
    connection.dispatchEvent(new Event('idle'))
    assert.deepEqual(heard, ['drain'], 'one drain once the buffer emptied')
    connection.dispatchEvent(new Event('drain'))
    assert.deepEqual(heard, ['drain', 'drain'], 'at once when nothing waits')
  })

  // The stall of docs/benchmarks.md "Two lanes per peer stall under load": a
  // busy yamux stream refills the buffer on every window update, so it never
  // empties, and the muxer's drain (the only one an idle stream gets) waited for good.
  it('tells the drain once what the buffer held has been sent, while later sends keep it full', async () => {
    const connection = new FakeConnection()
    const stream = await secured(connection)
    let heard = 0
    stream.addEventListener('drain', () => { heard++ })
    const chunk = 16 * 1024
    connection.send(new Uint8Array(4 * chunk))
    const heardAt: number[] = []
    for (let step = 1; step <= 8; step++) {
      connection.socketDrained(chunk)
      // the busy stream's next frame, sent on the window update it just got
      connection.send(new Uint8Array(chunk))
      await settle()
      assert.equal(connection.writeBufferLength, 4 * chunk, 'the buffer never empties')
      heardAt.push(heard)
    }
    assert.deepEqual(heardAt, [0, 0, 0, 1, 1, 1, 1, 2], 'a drain each time the bytes queued before it had left')
  })

  it('removes a wrapped drain listener', async () => {
    const connection = new FakeConnection()
    const stream = await secured(connection)
    let heard = 0
    const listener = (): void => { heard++ }
    stream.addEventListener('drain', listener)
    stream.removeEventListener('drain', listener)
    connection.dispatchEvent(new Event('drain'))
    assert.equal(heard, 0)
  })
})
