import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { after, test } from 'node:test'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { getNetConfig } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { isSecuredOnSocket, socketTls } from '../../src/transport/socket-tls.ts'
import { eventually } from '../fixtures/poll.ts'
import { answerDigest, BLOB_PROTOCOL, digestOf, readHex, sendBlob, sendBlobOn, transportOf } from '../fixtures/transport.ts'
import type { ConnectionEncrypter, ConnectionGater, Libp2p, MessageStream, Stream } from '@libp2p/interface'
import type { TCPOptions } from '@libp2p/tcp'
import type { TLSComponents } from '@libp2p/tls'
import type { Socket } from 'node:net'

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

/** What a node's encrypter saw of its inbound handshakes. */
interface InboundRecord {
  errors: Error[]
  /** Bytes the TCP connection held, unread, when the encrypter was handed it. */
  earlyBytes: number[]
}

/** Options of {@link tlsNode}. */
interface TlsNodeOptions {
  tcp?: TCPOptions
  inboundUpgradeTimeout?: number
  /** Awaited before each inbound handshake starts (to let the peer's first bytes pile up). */
  beforeInbound?: (connection: MessageStream) => Promise<void>
  connectionGater?: ConnectionGater
}

/** socketTls(), recording what each inbound handshake met in `record`. */
function recordingTls (record: InboundRecord, beforeInbound?: TlsNodeOptions['beforeInbound']): (components: TLSComponents) => ConnectionEncrypter {
  return (components) => {
    const encrypter = socketTls()(components)
    const wrapped: ConnectionEncrypter = Object.create(encrypter)
    wrapped.secureInbound = async (connection, options) => {
      await beforeInbound?.(connection)
      record.earlyBytes.push(connection.readBufferLength)
      try {
        return await encrypter.secureInbound(connection, options)
      } catch (err) {
        record.errors.push(err as Error)
        throw err
      }
    }
    return wrapped
  }
}

/** A node on 127.0.0.1: TCP, socketTls() only, yamux; it answers blob streams with their digest. */
async function tlsNode (options: TlsNodeOptions = {}): Promise<{ node: Libp2p, inbound: InboundRecord }> {
  const inbound: InboundRecord = { errors: [], earlyBytes: [] }
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp(options.tcp)],
    connectionEncrypters: [recordingTls(inbound, options.beforeInbound)],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000, inboundUpgradeTimeout: options.inboundUpgradeTimeout },
    connectionGater: options.connectionGater
  })
  stops.push(async () => node.stop())
  await node.handle(BLOB_PROTOCOL, answerDigest)
  return { node, inbound }
}

/** The TCP socket under a node's only connection to `peer`. */
function socketTo (node: Libp2p, peer: Libp2p): Socket {
  const [connection] = node.getConnections(peer.peerId)
  const socket = transportOf(connection).socket
  assert.ok(socket != null, 'a TCP connection keeps its socket')
  return socket
}

/** multistream-select's header and `/tls/1.0.0`, each length-prefixed: what a dialer sends before its TLS handshake. */
const SELECT_TLS = Buffer.concat([Buffer.from([19]), Buffer.from('/multistream/1.0.0\n'), Buffer.from([11]), Buffer.from('/tls/1.0.0\n')])

/** Opens a TCP socket to `node` that selects TLS and then sends `then` (or nothing, or ends its side); resolves once the node closed it. */
async function selectTlsThen (node: Libp2p, then?: Uint8Array | 'end'): Promise<void> {
  const { host, port } = getNetConfig(node.getMultiaddrs()[0])
  const socket = connect(port ?? 0, host)
  stops.push(async () => { socket.destroy() })
  const closed = new Promise<void>(resolve => socket.once('close', () => { resolve() }))
  socket.on('error', () => {})
  socket.on('data', () => {})
  socket.write(SELECT_TLS)
  if (then === 'end') {
    socket.end()
  } else if (then != null) {
    socket.write(then)
  }
  await closed
}

test('two nodes secure their TCP connection with TLS on the socket itself, and a stream crosses it both ways intact', async () => {
  const a = await tlsNode()
  const b = await tlsNode()
  const blob = randomBytes(3 * 1024 * 1024)

  const there = await sendBlob(a.node, b.node, blob)
  assert.equal(there.encryption, '/tls/1.0.0')
  assert.equal(there.digest, digestOf(blob))
  const back = await sendBlobOn(b.node.getConnections(a.node.peerId)[0], blob, AbortSignal.timeout(30_000))
  assert.equal(await readHex(back), digestOf(blob))
  for (const [node, peer] of [[a.node, b.node], [b.node, a.node]]) {
    assert.ok(isSecuredOnSocket(transportOf(node.getConnections(peer.peerId)[0])), 'TLS runs on the socket')
    assert.equal(socketTo(node, peer).listenerCount('data'), 0, 'the TCP connection no longer reads the ciphertext itself')
  }
})

test('bytes the TCP connection read before the handshake (the peer\'s ClientHello) reach TLS', async () => {
  // hold the listener's handshake until the dialer's first TLS record sits unread in the connection
  const listener = await tlsNode({ beforeInbound: async connection => { await eventually(() => connection.readBufferLength > 0, { what: 'the ClientHello', intervalMs: 5 }) } })
  const dialer = await tlsNode()
  const blob = randomBytes(256 * 1024)

  const sent = await sendBlob(dialer.node, listener.node, blob)
  assert.ok(listener.inbound.earlyBytes[0] > 0, 'the handshake started with bytes already read')
  assert.equal(sent.digest, digestOf(blob))
  assert.deepEqual(listener.inbound.errors, [])
})

test('a peer that sends garbage instead of TLS gets its socket closed, with the TLS error', async () => {
  const { node, inbound } = await tlsNode()
  await selectTlsThen(node, Buffer.from('GET / HTTP/1.1\r\nHost: peerit\r\n\r\n'.repeat(4)))
  await eventually(() => inbound.errors.length > 0, { what: 'the handshake error' })
  assert.match((inbound.errors[0] as Error & { code?: string }).code ?? '', /^ERR_SSL_/, String(inbound.errors[0]))
  assert.equal(node.getConnections().length, 0)
})

test('a peer that stops after selecting TLS is cut off at the upgrade timeout', async () => {
  const { node, inbound } = await tlsNode({ inboundUpgradeTimeout: 500 })
  await selectTlsThen(node)
  await eventually(() => inbound.errors.length > 0, { what: 'the handshake error' })
  assert.equal(inbound.errors[0].name, 'TimeoutError')
  assert.equal(node.getConnections().length, 0)
})

test('a peer that closes its socket during the handshake fails it at once, not at the timeout', async () => {
  const { node, inbound } = await tlsNode({ inboundUpgradeTimeout: 60_000 })
  await selectTlsThen(node, 'end')
  await eventually(() => inbound.errors.length > 0, { what: 'the handshake error', timeoutMs: 10_000 })
  assert.equal(node.getConnections().length, 0)
})

test('closing a connection right after a send delivers every byte, ends TLS and closes both sockets cleanly', async () => {
  const listener = await tlsNode()
  const dialer = await tlsNode()
  const digests: string[] = []
  await listener.node.unhandle(BLOB_PROTOCOL)
  await listener.node.handle(BLOB_PROTOCOL, async (stream: Stream) => {
    const hash = createHash('sha256')
    for await (const chunk of stream) {
      hash.update(chunk.subarray())
    }
    digests.push(hash.digest('hex'))
  })
  // within yamux's first window: all of it is in TLS's hands when the connection closes
  const blob = randomBytes(200 * 1024)
  const connection = await dialer.node.dial(listener.node.getMultiaddrs()[0])
  await eventually(() => listener.node.getConnections(dialer.node.peerId).length === 1, { what: 'the listener to hold the connection' })
  const dialerSocket = transportOf(connection).socket
  const listenerSocket = socketTo(listener.node, dialer.node)
  const [listenerConnection] = listener.node.getConnections(dialer.node.peerId)
  const remoteClose = new Promise<Error | undefined>(resolve => listenerConnection.addEventListener('close', event => { resolve(event.error) }, { once: true }))

  const stream = await connection.newStream(BLOB_PROTOCOL)
  stream.send(blob)
  await connection.close()

  await eventually(() => digests.length > 0, { what: 'the listener to read the stream to its end' })
  assert.equal(digests[0], digestOf(blob))
  assert.equal(await remoteClose, undefined, 'the listener saw a clean close, not a reset')
  assert.ok(dialerSocket?.destroyed, 'the dialer\'s socket is closed')
  await eventually(() => listenerSocket.destroyed, { what: 'the listener\'s socket to close' })
})

for (const side of ['dialer', 'listener'] as const) {
  test(`the ${side} aborting a connection mid-stream resets it: the other side closes at once, nothing throws`, async () => {
    const listener = await tlsNode()
    const dialer = await tlsNode()
    await listener.node.unhandle(BLOB_PROTOCOL)
    const read = Promise.withResolvers<number>()
    await listener.node.handle(BLOB_PROTOCOL, async (stream: Stream) => {
      let bytes = 0
      try {
        for await (const chunk of stream) {
          bytes += chunk.byteLength
        }
      } finally {
        read.resolve(bytes)
      }
    })
    const connection = await dialer.node.dial(listener.node.getMultiaddrs()[0])
    const stream = await connection.newStream(BLOB_PROTOCOL)
    stream.send(randomBytes(64 * 1024))
    await eventually(() => listener.node.getConnections(dialer.node.peerId).length === 1, { what: 'the listener to hold the connection' })
    const [accepted] = listener.node.getConnections(dialer.node.peerId)
    const [aborting, other] = side === 'dialer' ? [connection, accepted] : [accepted, connection]
    const otherClosed = new Promise<void>(resolve => other.addEventListener('close', () => { resolve() }, { once: true }))
    const sockets = [transportOf(connection).socket, transportOf(accepted).socket]

    aborting.abort(new Error('aborted by the test'))

    await otherClosed
    assert.ok(await read.promise <= 64 * 1024, 'the listener\'s stream ended')
    await eventually(() => sockets.every(socket => socket?.destroyed === true), { what: 'both sockets to close' })
    assert.notEqual(other.status, 'open')
  })
}

for (const hook of ['denyInboundEncryptedConnection', 'denyInboundUpgradedConnection'] as const) {
  test(`a connection the gater refuses right after the handshake (${hook}) is reset, and the process lives on`, async () => {
    // this reset used to close the TCP handle under TLS's feet: Node segfaulted (the whole test file died)
    const listener = await tlsNode({ connectionGater: { [hook]: () => true } })
    const dialer = await tlsNode()
    await dialer.node.dial(listener.node.getMultiaddrs()[0]).then(connection => {
      // the dialer may see the connection open before the reset reaches it
      return eventually(() => connection.status !== 'open', { what: 'the dialer to see the reset' })
    }, () => {})
    assert.equal(listener.node.getConnections().length, 0)
    // the process is alive: its other nodes still connect
    const other = await tlsNode()
    const sent = await sendBlob(other.node, dialer.node, randomBytes(1024))
    assert.equal(sent.encryption, '/tls/1.0.0')
  })
}

test('the socket\'s inactivity timeout counts TLS traffic: a trickling connection outlives it, an idle one is closed', async () => {
  const timeout = { inboundSocketInactivityTimeout: 1000, outboundSocketInactivityTimeout: 1000 }
  const listener = await tlsNode({ tcp: timeout })
  const dialer = await tlsNode({ tcp: timeout })
  const connection = await dialer.node.dial(listener.node.getMultiaddrs()[0])
  const stream = await connection.newStream(BLOB_PROTOCOL)
  // three timeouts' worth of one write every 100 ms
  for (let i = 0; i < 30; i++) {
    stream.send(new Uint8Array([i]))
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  assert.equal(connection.status, 'open', 'traffic through TLS keeps the socket alive')
  await stream.close()
  assert.equal(await readHex(stream), digestOf(Uint8Array.from({ length: 30 }, (_, i) => i)))
  await eventually(() => connection.status !== 'open', { what: 'the idle connection to time out', timeoutMs: 10_000 })
})

test('a relayed connection falls back to @libp2p/tls over the relay stream, its hops run TLS on their sockets', async () => {
  const relay = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [socketTls()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: { identify: identify(), relay: circuitRelayServer({ reservations: { applyDefaultLimit: false } }) }
  })
  stops.push(async () => relay.stop())
  const nodeWithRelay = async (): Promise<Libp2p> => {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [socketTls()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    stops.push(async () => node.stop())
    await node.handle(BLOB_PROTOCOL, answerDigest)
    return node
  }
  const listener = await nodeWithRelay()
  const dialer = await nodeWithRelay()
  await listener.dial(relay.getMultiaddrs()[0])
  const circuit = await eventually(() => listener.getMultiaddrs().find(address => address.toString().includes('/p2p-circuit')), { what: 'a relay reservation' })

  const connection = await dialer.dial(multiaddr(circuit.toString()), { signal: AbortSignal.timeout(20_000) })
  assert.equal(connection.encryption, '/tls/1.0.0')
  assert.equal(connection.limits, undefined, 'an unlimited relayed connection')
  assert.equal(isSecuredOnSocket(transportOf(connection)), false)
  const blob = randomBytes(1024 * 1024)
  const stream = await sendBlobOn(connection, blob, AbortSignal.timeout(30_000))
  assert.equal(await readHex(stream), digestOf(blob))
  assert.ok(isSecuredOnSocket(transportOf(dialer.getConnections(relay.peerId)[0])), 'the dialer\'s hop to the relay is direct TCP')
})
