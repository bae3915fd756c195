import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { parsePublicNetworks } from '../../src/public-networks.ts'
import { directReachOf, reachabilityOf } from '../../src/reach/reachability.ts'
import type { NodeAddress } from '@libp2p/interface-internal'

const networks = parsePublicNetworks(['10.77.0.0/24'])

function address (ma: string, type: NodeAddress['type'] = 'transport', verified = true): NodeAddress {
  return { multiaddr: multiaddr(ma), type, verified, expires: Number.POSITIVE_INFINITY }
}

const CIRCUIT = '/ip4/10.77.0.10/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit'

describe('who can dial this node without a relay (directReach)', () => {
  it('a loopback-only node is reachable from this machine only', () => {
    const addresses = [address('/ip4/127.0.0.1/tcp/4001'), address('/ip6/::1/tcp/4001')]
    assert.equal(directReachOf(addresses, networks), 'machine')
    assert.equal(reachabilityOf(addresses, networks), 'private')
  })

  it('a node with a private LAN address (and loopback) is reachable on its LAN, a relay address changes nothing', () => {
    assert.equal(directReachOf([address('/ip4/127.0.0.1/tcp/4001'), address('/ip4/192.168.1.10/tcp/4001'), address(CIRCUIT)], networks), 'lan')
  })

  it('a confirmed public address (or one inside public_networks) is public; unconfirmed it is not', () => {
    assert.equal(directReachOf([address('/ip4/192.168.1.10/tcp/4001'), address('/ip4/10.77.0.20/tcp/4001')], networks), 'public')
    assert.equal(directReachOf([address('/ip4/10.77.0.20/tcp/4001', 'observed', false)], networks), 'none')
  })

  it('a UPnP mapping and an announced port forward are told apart from a plain public address', () => {
    const lan = address('/ip4/192.168.1.10/tcp/4001')
    assert.equal(directReachOf([lan, address('/ip4/10.77.0.3/tcp/4001', 'ip-mapping')], networks), 'upnp')
    assert.equal(directReachOf([lan, address('/ip4/10.77.0.3/tcp/4001', 'announce')], networks), 'announce')
    assert.equal(directReachOf([lan, address('/ip4/10.77.0.3/tcp/4001', 'announce'), address('/ip4/10.77.0.9/tcp/4001')], networks), 'public')
  })

  it('no address at all reaches nobody', () => {
    assert.equal(directReachOf([address(CIRCUIT)], networks), 'none')
  })
})
