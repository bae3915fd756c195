import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { createLibp2p } from 'libp2p'
import { isSecuredOnSocket } from '../../src/transport/socket-tls.ts'
import { startLimitedNode } from '../fixtures/limits.ts'
import { eventually } from '../fixtures/poll.ts'
import { answerDigest, BLOB_PROTOCOL, digestOf, sendBlob, transportOf } from '../fixtures/transport.ts'
import type { Libp2p } from '@libp2p/interface'

/** Big enough that yamux grows its windows and sends frames of several 16 KiB TLS records. */
const BLOB_BYTES = 6 * 1024 * 1024

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

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
    const digest = digestOf(blob)
    // PeerIT runs TLS on the TCP socket itself; @libp2p/tls on the other end cannot tell
    const onSocket = expected === '/tls/1.0.0'

    const outbound = await sendBlob(peerit, plain, blob)
    assert.equal(outbound.encryption, expected)
    assert.equal(isSecuredOnSocket(transportOf(outbound.connection)), onSocket)
    assert.equal(outbound.digest, digest, 'the plain node read what the PeerIT node sent')
    // the other way on a connection the plain node opens
    await peerit.hangUp(plain.peerId)
    await eventually(() => plain.getConnections(peerit.peerId).length === 0, { what: 'the plain node to see the hang-up' })

    const inbound = await sendBlob(plain, peerit, blob)
    assert.equal(inbound.encryption, expected)
    const [accepted] = peerit.getConnections(plain.peerId)
    assert.equal(isSecuredOnSocket(transportOf(accepted)), onSocket)
    assert.equal(inbound.digest, digest, 'the PeerIT node read what the plain node sent')
  })
}
