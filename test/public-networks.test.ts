import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidNetworkError, parseCidr, parsePublicNetworks } from '../src/public-networks.ts'

// Public addresses here are in 3fff::/20, the IPv6 documentation prefix (RFC 9637): never routed, and
// public to libp2p, whose private list predates it. Every IPv4 documentation range and 2001:db8::/32 are
// private to libp2p, so they cannot stand for a public address; an IPv4 one comes from `public_networks`.
describe('parsePublicNetworks', () => {
  it('counts what libp2p counts as public, and nothing private, when no network is listed', () => {
    const networks = parsePublicNetworks([])
    assert.equal(networks.isPublic(multiaddr('/ip6/3fff::8/tcp/4001')), true)
    assert.equal(networks.isPublic(multiaddr('/ip6/3fff:0:1::1/tcp/4001')), true)
    assert.equal(networks.isPublic(multiaddr('/dns4/peer.example.com/tcp/4001')), true)
    for (const address of ['/ip4/10.1.2.3/tcp/1', '/ip4/192.168.1.5/tcp/1', '/ip4/172.20.0.1/tcp/1', '/ip4/127.0.0.1/tcp/1', '/ip4/100.64.0.1/tcp/1', '/ip6/::1/tcp/1', '/ip6/fe80::1/tcp/1', '/ip6/2001:db8::1/tcp/1', '/dns4/localhost/tcp/1']) {
      assert.equal(networks.isPublic(multiaddr(address)), false, address)
    }
    assert.equal(networks.containsIp('10.1.2.3'), false)
  })

  it('counts addresses inside a listed IPv4 network as public, and only those', () => {
    const networks = parsePublicNetworks(['10.20.0.0/16', '192.168.7.0/24'])
    assert.equal(networks.containsIp('10.20.255.1'), true)
    assert.equal(networks.containsIp('10.21.0.1'), false)
    assert.equal(networks.isPublic(multiaddr('/ip4/10.20.3.4/tcp/4001')), true)
    assert.equal(networks.isPublic(multiaddr('/ip4/10.20.3.4/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo/p2p-circuit')), true)
    assert.equal(networks.isPublic(multiaddr('/ip4/192.168.7.9/tcp/4001')), true)
    assert.equal(networks.isPublic(multiaddr('/ip4/192.168.8.9/tcp/4001')), false)
    assert.equal(networks.isPublic(multiaddr('/ip6/3fff::8/tcp/4001')), true, 'libp2p\'s public addresses stay public')
  })

  it('matches IPv6 networks, and never mixes the families', () => {
    const networks = parsePublicNetworks(['fd00:1::/32'])
    assert.equal(networks.containsIp('fd00:1:2::5'), true)
    assert.equal(networks.containsIp('fd00:2::5'), false)
    assert.equal(networks.isPublic(multiaddr('/ip6/fd00:1::9/tcp/4001')), true)
    assert.equal(networks.containsIp('10.0.0.1'), false)
    assert.equal(networks.containsIp('not an ip'), false)
  })

  it('says why a network is not one', () => {
    for (const [text, fragment] of [['10.0.0.0', 'CIDR form'], ['10.0.0.0/33', 'longer than 32'], ['fd00::/129', 'longer than 128'], ['example.com/8', 'CIDR form'], ['', 'CIDR form'], ['10.0.0.0/-1', 'CIDR form']]) {
      assert.throws(() => parsePublicNetworks([text]), (err: Error) => err instanceof InvalidNetworkError && err.code === 'ERR_INVALID_NETWORK' && err.message.includes(fragment), text)
    }
  })

  it('parses a CIDR into address, prefix and family', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' })
    assert.deepEqual(parseCidr('::/0'), { address: '::', prefix: 0, family: 'ipv6' })
  })
})
