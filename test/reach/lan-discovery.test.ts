import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { usableAddresses } from '../../src/reach/lan-discovery.ts'

const ID = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const strings = (addresses: Array<{ toString: () => string }>): string[] => addresses.map(a => a.toString())

describe('what an mDNS announcement may make us dial', () => {
  it('drops loopback addresses announced by another host, keeping its LAN ones', () => {
    const announced = [multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`), multiaddr(`/ip4/192.168.1.20/tcp/4001/p2p/${ID}`)]
    assert.deepEqual(strings(usableAddresses(announced, new Set(['192.168.1.10']))), ['/ip4/192.168.1.20/tcp/4001'])
  })

  it('keeps loopback for a peer on this very host (one of its addresses is ours)', () => {
    const announced = [multiaddr('/ip4/127.0.0.1/tcp/4002'), multiaddr('/ip4/192.168.1.10/tcp/4002')]
    assert.deepEqual(strings(usableAddresses(announced, new Set(['192.168.1.10']))), ['/ip4/127.0.0.1/tcp/4002', '/ip4/192.168.1.10/tcp/4002'])
  })

  it('a peer announcing only loopback from elsewhere gets nothing dialled', () => {
    assert.deepEqual(usableAddresses([multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr('/ip6/::1/tcp/4001')], new Set(['192.168.1.10'])), [])
  })

  it('ignores what is not TCP on an IP, and dials at most 8 addresses', () => {
    const announced = [
      multiaddr('/ip4/192.168.1.20/udp/4001'),
      multiaddr('/dns4/peer.local/tcp/4001'),
      multiaddr(`/ip4/192.168.1.30/tcp/4001/p2p/${ID}/p2p-circuit`),
      ...Array.from({ length: 20 }, (_, i) => multiaddr(`/ip4/192.168.1.${40 + i}/tcp/4001`))
    ]
    const usable = strings(usableAddresses(announced, new Set()))
    assert.equal(usable.length, 8)
    assert.ok(usable.every(a => /^\/ip4\/192\.168\.1\.(4\d|5\d)\/tcp\/4001$/.test(a)), usable.join(' '))
  })
})
