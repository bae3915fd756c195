import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TypedEventEmitter } from 'main-event'
import { drainWhenSent } from '../../src/transport/drain-when-sent.ts'
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'

/** Just what the wrapper touches of an encrypted connection: its events and its write buffer. */
class FakeConnection extends TypedEventEmitter<{ drain: Event, idle: Event }> {
  writeBufferLength = 0
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
    connection.writeBufferLength = 1024
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
