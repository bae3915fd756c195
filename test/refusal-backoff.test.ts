import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { KEEP_ALIVE } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createPeeritLibp2p } from '../src/libp2p.ts'
import { resolveLimits } from '../src/limits.ts'
import { LOOPBACK_LIMITS, startLimitedNode } from './fixtures/limits.ts'
import { eventually } from './fixtures/poll.ts'
import type { PeeritLibp2p } from '../src/libp2p.ts'
import type { Connection, PeerId } from '@libp2p/interface'

const stops: Array<() => Promise<void>> = []
after(async () => { await Promise.all(stops.map(async stop => stop())) })

/** A node that refuses `refused` at its gater, as `peerit block` does. */
async function refusingNode (refused: () => string | undefined): Promise<PeeritLibp2p> {
  const node = await createPeeritLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    limits: resolveLimits(LOOPBACK_LIMITS),
    isBlocked: peerId => peerId === refused(),
    fetch: { localFiles: () => [] },
    file: {}
  })
  await node.libp2p.start()
  stops.push(async () => node.libp2p.stop())
  return node
}

/** The times at which `node` opened, and saw closed, connections to `peer`. */
function connectionTimes (node: PeeritLibp2p, peer: PeerId): { opened: number[], closed: number[] } {
  const times = { opened: [] as number[], closed: [] as number[] }
  const track = (list: number[]) => (event: CustomEvent<Connection>) => {
    if (event.detail.remotePeer.equals(peer)) {
      list.push(Date.now())
    }
  }
  node.libp2p.addEventListener('connection:open', track(times.opened))
  node.libp2p.addEventListener('connection:close', track(times.closed))
  return times
}

test('a peer that hangs up at once is redialled with backoff, not in a loop, and connect forgives it', async () => {
  let blocked: string | undefined
  const a = await refusingNode(() => blocked)
  const bKey = await generateKeyPair('Ed25519')
  blocked = peerIdFromPrivateKey(bKey).toString()
  const b = await createPeeritLibp2p({ privateKey: bKey, listen: ['/ip4/127.0.0.1/tcp/0'], limits: resolveLimits(LOOPBACK_LIMITS), fetch: { localFiles: () => [] }, file: {} })
  await b.libp2p.start()
  stops.push(async () => b.libp2p.stop())
  // kad-dht tags its closest peers like this: libp2p's reconnect queue redials them on every disconnect.
  await b.libp2p.peerStore.merge(a.libp2p.peerId, { multiaddrs: a.libp2p.getMultiaddrs(), tags: { [`${KEEP_ALIVE}-test`]: { value: 1 } } })
  const { opened, closed } = connectionTimes(b, a.libp2p.peerId)

  // B's side of the handshake completes before A's gater refuses it: the dial "succeeds".
  await b.libp2p.dial(a.libp2p.peerId)
  await eventually(() => b.refusals.isBackingOff(a.libp2p.peerId), { what: 'B to count the hang-up as a refusal' })
  // Until A has refused the third connection too: unblocking while it is being set up would let it in.
  await eventually(() => closed.length >= 3, { timeoutMs: 30_000, what: 'two automatic redials, refused' })
  // Without the backoff the reconnect queue redialled within milliseconds; now 1 s, then 2 s.
  assert.ok(opened[1] - opened[0] >= 900, `second dial after ${opened[1] - opened[0]} ms`)
  assert.ok(opened[2] - opened[1] >= 1900, `third dial after ${opened[2] - opened[1]} ms`)
  assert.equal(a.libp2p.getConnections(b.libp2p.peerId).length, 0, 'A never held a connection to B')

  // The owner's own dial does not wait for the backoff.
  blocked = undefined
  assert.equal(b.refusals.isBackingOff(a.libp2p.peerId), true)
  await assert.rejects(b.libp2p.dial(a.libp2p.peerId), { name: 'DialDeniedError' })
  b.refusals.forgive(a.libp2p.peerId)
  await b.libp2p.dial(a.libp2p.peerId)
  await eventually(() => a.libp2p.getConnections(b.libp2p.peerId).length > 0, { what: 'A to hold the connection' })
})

test('a connection that completed identify is no refusal when it closes', async () => {
  const [a, b] = await Promise.all([startLimitedNode(), startLimitedNode()])
  stops.push(async () => a.libp2p.stop(), async () => b.libp2p.stop())
  const identified = new Promise(resolve => { b.libp2p.addEventListener('peer:identify', resolve, { once: true }) })
  await b.libp2p.dial(a.libp2p.getMultiaddrs()[0])
  await identified
  await a.libp2p.hangUp(b.libp2p.peerId)
  await eventually(() => b.libp2p.getConnections(a.libp2p.peerId).length === 0, { what: 'B to see the hang-up' })
  assert.equal(b.refusals.isBackingOff(a.libp2p.peerId), false)
  await b.libp2p.dial(a.libp2p.peerId)
})
