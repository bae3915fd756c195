import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

async function connectedTo (peer: PeerDir, peerId: string): Promise<boolean> {
  return (await peer.json(['list', 'peers'])).some((p: any) => p.peerId === peerId && p.connected === true)
}

/**
 * B keeps A as a contact and redials it whenever the connection drops, so a
 * `disconnect` on A's side never sticks: `block` must.
 */
describe('peerit block / unblock', () => {
  const network = new PeerNetwork()
  let a: PeerDir, b: PeerDir
  let aId: string, bId: string, aAddress: string

  before(async () => {
    a = await network.peer()
    const startedA = await a.start()
    aId = startedA.peerId
    aAddress = startedA.addresses[0]
    b = await network.peer({ primary_peer_url: hostPort(aAddress) })
    bId = (await b.start()).peerId
    await eventually(async () => connectedTo(a, bId), { what: 'B to dial A' })
  })

  after(async () => { await network.close() })

  /**
   * B dials A: B's side of the handshake may finish before A's gater refuses
   * it, so B's `connect` can even report success; but A never holds the
   * connection, and B soon sees it closed.
   */
  async function refusedByA (): Promise<void> {
    await b.run(['connect', aAddress])
    assert.equal(await connectedTo(a, bId), false, 'A holds no connection to B')
    await eventually(async () => !await connectedTo(b, aId), { what: 'B to see the connection refused' })
    assert.equal(await connectedTo(a, bId), false, 'A holds no connection to B')
  }

  it('disconnect alone does not stick: B dials back', async () => {
    await a.json(['disconnect', bId])
    await eventually(async () => connectedTo(a, bId), { what: 'B to redial A' })
  })

  it('block hangs up, and B can neither redial nor connect', async () => {
    const blocked = await a.json(['block', bId])
    assert.deepEqual(blocked, { peerId: bId, blocked: true, contactsRemoved: 0, disconnected: true })
    await eventually(async () => !await connectedTo(a, bId), { what: 'A to hang up on B' })
    await refusedByA()
    assert.deepEqual((await a.json(['list', 'blocked'])).map((p: any) => p.peerId), [bId])
  })

  it('the block survives a restart of A', async () => {
    await a.json(['stop'])
    const restarted = await a.start()
    aAddress = restarted.addresses[0]
    const list = await a.json(['list', 'blocked'])
    assert.equal(list.length, 1)
    assert.equal(list[0].peerId, bId)
    assert.equal(typeof list[0].blockedAt, 'number')
    await refusedByA()
    // A does not dial B either: a blocked peer is refused outbound too.
    const out = await a.run(['connect', (await b.json(['status'])).addresses[0]])
    assert.equal(out.code, 1, out.stderr)
    assert.equal(await connectedTo(a, bId), false)
  })

  it('unblock lets B in again; unblocking twice is not found (exit 4)', async () => {
    assert.deepEqual(await a.json(['unblock', bId]), { peerId: bId, blocked: false })
    assert.deepEqual(await a.json(['list', 'blocked']), [])
    // The first connect is taken: while A refused B, B backed off instead of redialling A
    // many times a second and spending A's inbound allowance for 127.0.0.1 (src/refusal-backoff.ts).
    const connected = await b.run(['connect', aAddress])
    assert.equal(connected.code, 0, connected.stderr)
    await eventually(async () => connectedTo(a, bId), { what: 'B connected to A again' })
    const again = await a.run(['unblock', bId])
    assert.equal(again.code, 4)
    assert.match(again.stderr, /not blocked/)
  })

  it('a block of something that is not a peer id, or of itself, is a usage error', async () => {
    const junk = await a.run(['block', 'not-a-peer'])
    assert.equal(junk.code, 2)
    assert.match(junk.stderr, /not a peer id/)
    const self = await a.run(['block', aId, '--json'])
    assert.equal(self.code, 2)
    assert.match(self.json.error.message, /this node itself/)
  })
})
