import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { createLibp2p } from 'libp2p'
import { pieceCount, peeritFile, verifyPiece } from '../../protocols/file/index.ts'
import { isSecuredOnSocket } from '../../src/transport/socket-tls.ts'
import { createShareFolder, introduce } from '../fixtures/file-nodes.ts'
import { startLimitedNode } from '../fixtures/limits.ts'
import { eventually } from '../fixtures/poll.ts'
import { answerDigest, BLOB_PROTOCOL, digestOf, sendBlob, transportOf } from '../fixtures/transport.ts'
import type { PeeritFile, PeeritFileInit } from '../../protocols/file/index.ts'
import type { SharedFile } from '../fixtures/file-nodes.ts'
import type { Libp2p, PeerId } from '@libp2p/interface'

/** Big enough that yamux grows its windows and sends frames of several 16 KiB TLS records. */
const BLOB_BYTES = 6 * 1024 * 1024

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

/** A js-libp2p node with the given encrypters and every other option at its default, and PeerIT's file protocol serving what `lookup` finds. */
async function plainNode (encrypters: 'tls+noise' | 'noise', lookup: PeeritFileInit['lookup'] = () => undefined): Promise<Libp2p<{ peeritFile: PeeritFile }>> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: encrypters === 'noise' ? [noise()] : [tls(), noise()],
    streamMuxers: [yamux()],
    services: { peeritFile: peeritFile({ lookup }) }
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

/** Fetches every piece of `file` from `server` and checks each against the manifest; resolves with the bytes. */
async function fetchFile (client: PeeritFile, server: PeerId, file: SharedFile): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(60_000)
  const manifest = await client.getManifest(server, file.contentId, { signal })
  const pieces: Uint8Array[] = []
  for await (const piece of client.getPieces(server, file.contentId, manifest, 0, pieceCount(manifest), { signal })) {
    assert.ok(verifyPiece(manifest, piece.index, piece.bytes), `piece ${piece.index} verifies`)
    pieces.push(piece.bytes)
  }
  return Buffer.concat(pieces)
}

test('a PeerIT node and a plain js-libp2p node (tls+noise, PeerIT\'s file protocol) fetch a file from each other over TLS', async () => {
  const folder = await createShareFolder()
  stops.push(async () => folder.remove())
  const fromPeerit = await folder.add('from-peerit.bin', 3 * 1024 * 1024 + 17)
  const fromPlain = await folder.add('from-plain.bin', 2 * 1024 * 1024 + 5)
  const peerit = (await startLimitedNode({}, [], { lookup: id => id === fromPeerit.contentId ? fromPeerit.source : undefined })).libp2p
  stops.push(async () => peerit.stop())
  const plain = await plainNode('tls+noise', id => id === fromPlain.contentId ? fromPlain.source : undefined)

  // the plain node dials: PeerIT is the TLS server
  await introduce(plain, peerit)
  assert.deepEqual(await fetchFile(plain.services.peeritFile, peerit.peerId, fromPeerit), Buffer.from(fromPeerit.bytes))
  const [accepted] = peerit.getConnections(plain.peerId)
  assert.equal(accepted.encryption, '/tls/1.0.0')
  assert.ok(isSecuredOnSocket(transportOf(accepted)))
  await peerit.hangUp(plain.peerId)
  await eventually(() => plain.getConnections(peerit.peerId).length === 0, { what: 'the plain node to see the hang-up' })

  // PeerIT dials: it is the TLS client
  await introduce(peerit, plain)
  assert.deepEqual(await fetchFile(peerit.services.peeritFile, plain.peerId, fromPlain), Buffer.from(fromPlain.bytes))
  const [dialled] = peerit.getConnections(plain.peerId)
  assert.equal(dialled.direction, 'outbound')
  assert.ok(isSecuredOnSocket(transportOf(dialled)))
})
