import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { PeerGuard } from '../src/peer-guard.ts'
import { waitFor } from './fixtures/fetch-network.ts'
import { sendFetchRequest, sendFetchRequests, startLimitedNode } from './fixtures/limits.ts'
import type { PeeritLibp2p } from '../src/libp2p.ts'
import type { PeerGuardInit } from '../src/peer-guard.ts'
import type { PeerId } from '@libp2p/interface'

async function somePeerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A guard on a clock the test moves by hand. */
function guardWithClock (init: Partial<PeerGuardInit> = {}): { guard: PeerGuard, clock: { now: number }, bans: string[] } {
  const clock = { now: 1_000 }
  const bans: string[] = []
  const guard = new PeerGuard({
    strikesBeforeBan: 3,
    strikeWindowMs: 10_000,
    banMs: 60_000,
    now: () => clock.now,
    onBan: (peer, kind) => { bans.push(`${peer.toString()} ${kind}`) },
    ...init
  })
  return { guard, clock, bans }
}

describe('PeerGuard', () => {
  it('bans a peer on its threshold strike within the window, once, and tells onBan', async () => {
    const { guard, bans } = guardWithClock()
    const peer = await somePeerId()
    assert.equal(guard.strike(peer, 'fetch:malformed'), false)
    assert.equal(guard.strike(peer, 'fetch:malformed'), false)
    assert.equal(guard.isBanned(peer), false)
    assert.equal(guard.strike(peer, 'fetch:rate-limit'), true)
    assert.equal(guard.isBanned(peer), true)
    assert.equal(guard.strike(peer, 'fetch:rate-limit'), false, 'a banned peer collects no more strikes')
    assert.deepEqual(bans, [`${peer.toString()} fetch:rate-limit`])
  })

  it('forgets strikes older than the window', async () => {
    const { guard, clock } = guardWithClock()
    const peer = await somePeerId()
    guard.strike(peer, 'a')
    guard.strike(peer, 'a')
    clock.now += 10_001
    assert.equal(guard.strikesOf(peer), 0)
    assert.equal(guard.strike(peer, 'a'), false)
    assert.equal(guard.strike(peer, 'a'), false)
    assert.equal(guard.isBanned(peer), false)
    assert.equal(guard.strike(peer, 'a'), true)
  })

  it('lets a ban expire after banMs', async () => {
    const { guard, clock } = guardWithClock()
    const peer = await somePeerId()
    guard.ban(peer, 'test')
    clock.now += 59_999
    assert.equal(guard.isBanned(peer), true)
    assert.deepEqual(guard.bans(), [{ peerId: peer.toString(), kind: 'test', remainingMs: 1 }])
    clock.now += 1
    assert.equal(guard.isBanned(peer), false)
    assert.deepEqual(guard.bans(), [])
  })

  it('answers the connection gater for banned peers only', async () => {
    const { guard } = guardWithClock()
    const banned = await somePeerId()
    const honest = await somePeerId()
    guard.ban(banned, 'test')
    const gater = guard.connectionGater
    for (const deny of [gater.denyDialPeer, gater.denyInboundEncryptedConnection, gater.denyOutboundEncryptedConnection]) {
      assert.ok(deny != null)
      assert.equal(await deny.call(gater, banned, undefined as never), true)
      assert.equal(await deny.call(gater, honest, undefined as never), false)
    }
  })

  it('never bans when strikesBeforeBan is 0', async () => {
    const { guard, bans } = guardWithClock({ strikesBeforeBan: 0 })
    const peer = await somePeerId()
    for (let i = 0; i < 100; i++) {
      assert.equal(guard.strike(peer, 'a'), false)
    }
    assert.equal(guard.isBanned(peer), false)
    assert.deepEqual(bans, [])
  })

  it('remembers strikes of at most maxTrackedPeers peers, the least recently struck forgotten first', async () => {
    const { guard } = guardWithClock({ maxTrackedPeers: 2 })
    const [a, b, c] = [await somePeerId(), await somePeerId(), await somePeerId()]
    guard.strike(a, 'x')
    guard.strike(b, 'x')
    guard.strike(a, 'x')
    guard.strike(c, 'x')
    assert.equal(guard.strikesOf(a), 2)
    assert.equal(guard.strikesOf(b), 0, 'b was the least recently struck')
    assert.equal(guard.strikesOf(c), 1)
  })

  it('survives an onBan that throws', async () => {
    const { guard } = guardWithClock({ onBan: () => { throw new Error('boom') } })
    const peer = await somePeerId()
    guard.ban(peer, 'test')
    assert.equal(guard.isBanned(peer), true)
  })
})

describe('bans on real nodes', () => {
  const BAN_SECONDS = 2
  let victim: PeeritLibp2p
  let attacker: PeeritLibp2p
  let honest: PeeritLibp2p

  before(async () => {
    // 6 per minute = one request per 10-second window: the second request in a window is a strike
    victim = await startLimitedNode({ fetchRequestsPerMinute: 6, strikesBeforeBan: 3, banSeconds: BAN_SECONDS })
    attacker = await startLimitedNode()
    honest = await startLimitedNode()
  })
  after(async () => {
    await Promise.all([victim, attacker, honest].map(async node => node?.libp2p.stop()))
  })

  it('disconnects a peer that keeps breaking the rate, refuses it while banned, and accepts it after the ban', async () => {
    const address = victim.libp2p.getMultiaddrs()[0]
    await attacker.libp2p.dial(address, { signal: AbortSignal.timeout(20_000) })
    // the routing table a new neighbour sends first is admitted like a request until it is read as a table (then refunded)
    await waitFor(() => victim.libp2p.services.peeritFetch.stats.tablesReceived >= 1, 20_000, 'the attacker\'s routing table')
    const tally = await sendFetchRequests(attacker.libp2p, victim.libp2p, 10, 1)
    assert.equal(tally.answered, 1, 'one request fits the 10-second window')
    assert.ok(victim.guard.isBanned(attacker.libp2p.peerId), 'three refusals are three strikes: banned')
    await waitFor(() => victim.libp2p.getConnections(attacker.libp2p.peerId).length === 0 &&
      attacker.libp2p.getConnections(victim.libp2p.peerId).length === 0, 20_000, 'the banned peer to be disconnected')

    // libp2p's dialler may report success before the victim's gater closes the
    // connection on it: what counts is that no connection survives and no request is served
    const opened: string[] = []
    victim.libp2p.addEventListener('connection:open', event => { opened.push(event.detail.remotePeer.toString()) })
    await attacker.libp2p.dial(address, { signal: AbortSignal.timeout(20_000) }).catch(() => {})
    assert.equal(await sendFetchRequest(attacker.libp2p, victim.libp2p), 'refused')
    await waitFor(() => attacker.libp2p.getConnections(victim.libp2p.peerId).length === 0, 20_000, 'the refused connection to close')
    assert.ok(!opened.includes(attacker.libp2p.peerId.toString()), 'the victim never opened a connection to the banned peer')
    await assert.rejects(victim.libp2p.dial(attacker.libp2p.getMultiaddrs()[0], { signal: AbortSignal.timeout(20_000) }), { name: 'DialDeniedError' }, 'nor does it dial it')

    // an honest peer is served throughout
    const tablesBefore = victim.libp2p.services.peeritFetch.stats.tablesReceived
    await honest.libp2p.dial(address, { signal: AbortSignal.timeout(20_000) })
    await waitFor(() => victim.libp2p.services.peeritFetch.stats.tablesReceived > tablesBefore, 20_000, 'the honest peer\'s routing table')
    assert.equal((await sendFetchRequests(honest.libp2p, victim.libp2p, 1)).answered, 1)

    await waitFor(() => !victim.guard.isBanned(attacker.libp2p.peerId), 30_000, 'the ban to expire')
    await attacker.libp2p.dial(address, { signal: AbortSignal.timeout(20_000) })
    await waitFor(() => opened.includes(attacker.libp2p.peerId.toString()), 20_000, 'the victim to accept the peer again')
    assert.ok(victim.libp2p.getConnections(attacker.libp2p.peerId).length > 0)
  })
})
