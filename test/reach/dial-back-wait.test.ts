import assert from 'node:assert/strict'
import { it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { DialBackWait } from '../../src/reach/dial-back-wait.ts'
import type { Connection, Libp2pEvents, PeerId } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

const RELAYED = '/ip4/10.77.0.10/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit'

function connection (peer: PeerId, address: string): Connection {
  return { remotePeer: peer, remoteAddr: multiaddr(address), status: 'open' } as unknown as Connection
}

async function setup (): Promise<{ wait: DialBackWait, events: TypedEventEmitter<Libp2pEvents>, peer: PeerId, open: Connection[] }> {
  const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const open = [connection(peer, RELAYED)]
  const events = new TypedEventEmitter<Libp2pEvents>()
  const connectionManager = { getConnections: () => open } as unknown as ConnectionManager
  return { wait: new DialBackWait({ connectionManager, events }), events, peer, open }
}

it('a provider connected only through a relay is given time to dial back, and the wait ends when it does', async () => {
  const { wait, events, peer, open } = await setup()
  const started = Date.now()
  const waiting = wait.wait([peer], 10_000)
  const direct = connection(peer, '/ip4/10.77.0.20/tcp/4001')
  open.push(direct)
  events.safeDispatchEvent('connection:open', { detail: direct })
  await waiting
  assert.ok(Date.now() - started < 5_000, 'the wait ended with the dial back, not at its timeout')
})

it('a provider that does not dial back is waited for once, then not again', async () => {
  const { wait, peer } = await setup()
  const first = Date.now()
  await wait.wait([peer], 200)
  assert.ok(Date.now() - first >= 190, 'the first wait lasts its timeout')
  const second = Date.now()
  await wait.wait([peer], 5_000)
  assert.ok(Date.now() - second < 1_000, 'the second returns at once')
})

it('a provider with a direct connection, or none, is not waited for', async () => {
  const { wait, peer, open } = await setup()
  open.push(connection(peer, '/ip4/10.77.0.20/tcp/4001'))
  const started = Date.now()
  await wait.wait([peer], 5_000)
  open.splice(0)
  await wait.wait([peer], 5_000)
  assert.ok(Date.now() - started < 1_000)
})
