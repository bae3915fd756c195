import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'

describe('reachability through the CLI', () => {
  const network = new PeerNetwork()

  after(async () => {
    await network.close()
  })

  it('status and list peers report reachability, relay addresses, connection and source', async () => {
    const relay = await network.peer({ relay_server: true, public_networks: ['127.0.0.1/32'], limits: { inbound_connections_per_second: 1000 } })
    const started = await relay.start()
    const natted = await network.peer({ primary_peer_url: hostPort(started.addresses[0]) })
    await natted.start()
    const status = await eventually(async () => {
      const value = await natted.json(['status'])
      return value.relayAddresses.length > 0 ? value : undefined
    }, { what: 'a relay slot' })
    assert.equal(status.reachability, 'private')
    assert.equal(status.directReach, 'machine')
    assert.ok(status.relayAddresses[0].includes(`/p2p/${started.peerId}/p2p-circuit`))
    const relayStatus = await relay.json(['status'])
    assert.equal(relayStatus.reachability, 'public')
    assert.equal(relayStatus.directReach, 'public')
    assert.deepEqual(relayStatus.relayAddresses, [])

    const human = await natted.run(['status'])
    assert.match(human.stdout, /reachable\s+yes, through 1 relay \(it listens on loopback only\)/)
    assert.match((await relay.run(['status'])).stdout, /reachable\s+yes, directly\n/)

    const peers = await natted.json(['list', 'peers'])
    const relayPeer = peers.find((p: any) => p.peerId === started.peerId)
    assert.equal(relayPeer.connection, 'direct')
    assert.equal(relayPeer.source, 'config')
    const relayPeers = await relay.json(['list', 'peers'])
    assert.equal(relayPeers.find((p: any) => p.peerId === status.peerId)?.source, 'inbound')
    assert.match(await natted.log(), /relay: reserved a slot on/)
  })

  it('a loopback-only node with no relay says it is reachable from this machine only', async () => {
    const alone = await network.peer()
    await alone.start()
    const status = await alone.json(['status'])
    assert.equal(status.directReach, 'machine')
    assert.match((await alone.run(['status'])).stdout, /reachable\s+from this machine only: it listens on loopback\n/)
  })

  it('an announce entry that is not a multiaddr stops start with exit 2, naming the key', async () => {
    const peer = await network.peer({ announce: ['not-an-address'] })
    const result = await peer.run(['start'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /announce/)
    assert.match(result.stderr, /"not-an-address" is not a multiaddr/)
  })
})
