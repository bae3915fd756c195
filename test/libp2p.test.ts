import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { startLimitedNode } from './fixtures/limits.ts'
import type { Libp2p } from '@libp2p/interface'

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

test('two PeerIT nodes encrypt their connection with TLS 1.3', async () => {
  const [a, b] = await Promise.all([startLimitedNode(), startLimitedNode()])
  stops.push(async () => a.libp2p.stop(), async () => b.libp2p.stop())
  const connection = await a.libp2p.dial(b.libp2p.getMultiaddrs()[0])
  assert.equal(connection.encryption, '/tls/1.0.0')
})

test('a peer that only speaks noise still connects, both ways', async () => {
  const peerit = await startLimitedNode()
  const noiseOnly: Libp2p = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
  stops.push(async () => peerit.libp2p.stop(), async () => noiseOnly.stop())
  const outbound = await noiseOnly.dial(peerit.libp2p.getMultiaddrs()[0])
  assert.equal(outbound.encryption, '/noise')
  await noiseOnly.hangUp(peerit.libp2p.peerId)
  const inbound = await peerit.libp2p.dial(noiseOnly.getMultiaddrs()[0])
  assert.equal(inbound.encryption, '/noise')
})
