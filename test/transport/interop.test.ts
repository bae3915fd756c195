import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { createLibp2p } from 'libp2p'
import { sendBufferBelow } from '../../protocols/shared/back-pressure.ts'
import { startLimitedNode } from '../fixtures/limits.ts'
import { eventually } from '../fixtures/poll.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

const BLOB_PROTOCOL = '/peerit-test/blob/1.0'
/** Big enough that yamux grows its windows and sends frames of several 16 KiB TLS records. */
const BLOB_BYTES = 6 * 1024 * 1024

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

/** Answers each blob stream with the SHA-256 of everything it read. */
async function answerDigest (stream: Stream): Promise<void> {
  const hash = createHash('sha256')
  for await (const chunk of stream) {
    hash.update(chunk.subarray())
  }
  stream.send(hash.digest())
  await stream.close()
}

/** Sends `blob` over a new stream in uneven writes (tiny ones between large ones); resolves with the digest the other side read. */
async function sendBlob (from: Libp2p, to: Libp2p, blob: Uint8Array): Promise<{ digest: string, encryption?: string }> {
  const signal = AbortSignal.timeout(60_000)
  const connection = await from.dial(to.getMultiaddrs()[0], { signal })
  const stream = await connection.newStream(BLOB_PROTOCOL, { signal })
  const sizes = [1, 5, 300_000, 12, 1024 * 1024, 7, 65_536]
  for (let at = 0, i = 0; at < blob.byteLength; i++) {
    const end = Math.min(blob.byteLength, at + sizes[i % sizes.length])
    stream.send(blob.subarray(at, end))
    at = end
    await sendBufferBelow(stream, 2 * 1024 * 1024, signal)
  }
  await stream.close({ signal })
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) {
    chunks.push(chunk.subarray())
  }
  return { digest: Buffer.concat(chunks).toString('hex'), encryption: connection.encryption }
}

/** A js-libp2p node with the given encrypters and every other option at its default. */
async function plainNode (encrypters: 'tls+noise' | 'noise'): Promise<Libp2p> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: encrypters === 'noise' ? [noise()] : [tls(), noise()],
    streamMuxers: [yamux()]
  })
  stops.push(async () => node.stop())
  await node.handle(BLOB_PROTOCOL, answerDigest)
  return node
}

for (const [encrypters, expected] of [['tls+noise', '/tls/1.0.0'], ['noise', '/noise']] as const) {
  test(`a PeerIT node and a plain js-libp2p node (${encrypters}, defaults) move a stream both ways intact`, async () => {
    const peerit = (await startLimitedNode()).libp2p
    stops.push(async () => peerit.stop())
    await peerit.handle(BLOB_PROTOCOL, answerDigest)
    const plain = await plainNode(encrypters)
    const blob = randomBytes(BLOB_BYTES)
    const digest = createHash('sha256').update(blob).digest('hex')

    const outbound = await sendBlob(peerit, plain, blob)
    assert.equal(outbound.encryption, expected)
    assert.equal(outbound.digest, digest, 'the plain node read what the PeerIT node sent')
    // the other way on a connection the plain node opens
    await peerit.hangUp(plain.peerId)
    await eventually(() => plain.getConnections(peerit.peerId).length === 0, { what: 'the plain node to see the hang-up' })

    const inbound = await sendBlob(plain, peerit, blob)
    assert.equal(inbound.encryption, expected)
    assert.equal(inbound.digest, digest, 'the PeerIT node read what the plain node sent')
  })
}
