import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { AddressScope, MAX_ADDRESSES_PER_PEER } from '../../src/dht/address-scope.ts'
import { contentIdToCid, contentIdToDhtKey } from '../../src/dht/content-key.ts'
import { parsePublicNetworks } from '../../src/public-networks.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const RELAY = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'

function scope (own: string[], networks: string[] = []): AddressScope {
  return new AddressScope(parsePublicNetworks(networks), () => own.map(a => multiaddr(a)))
}

function kept (s: AddressScope, addresses: string[]): string[] {
  return s.mapPeerInfo({ id: peerIdFromString(PEER), multiaddrs: addresses.map(a => multiaddr(a)) }).multiaddrs.map((ma: Multiaddr) => ma.toString())
}

// Public addresses here are in 3fff::/20, the IPv6 documentation prefix (RFC 9637): never routed, and
// public to libp2p, whose private list predates it (every IPv4 documentation range is private to libp2p).
// Public IPv4 addresses are 10.20/16 ones, made public through `public_networks`.
const PUBLIC_PEER = '/ip6/3fff::4'
const PUBLIC_SELF = '/ip6/3fff::9/tcp/9'

describe('DHT address rules', () => {
  const peerAddresses = ['/ip4/127.0.0.1/tcp/1', '/ip4/192.168.1.7/tcp/2', `${PUBLIC_PEER}/tcp/3`, '/dns4/example.org/tcp/4']

  it('a loopback-only node keeps loopback and public addresses, not LAN ones', () => {
    assert.deepEqual(kept(scope(['/ip4/127.0.0.1/tcp/9']), peerAddresses), ['/ip4/127.0.0.1/tcp/1', `${PUBLIC_PEER}/tcp/3`, '/dns4/example.org/tcp/4'])
  })

  it('a LAN node keeps LAN and public addresses, not another host\'s loopback', () => {
    assert.deepEqual(kept(scope(['/ip4/127.0.0.1/tcp/9', '/ip4/192.168.1.5/tcp/9']), peerAddresses), ['/ip4/192.168.1.7/tcp/2', `${PUBLIC_PEER}/tcp/3`, '/dns4/example.org/tcp/4'])
  })

  it('a public node keeps only public addresses, plus the networks public_networks names', () => {
    assert.deepEqual(kept(scope([PUBLIC_SELF]), peerAddresses), [`${PUBLIC_PEER}/tcp/3`, '/dns4/example.org/tcp/4'])
    assert.deepEqual(kept(scope(['/ip4/127.0.0.1/tcp/9'], ['10.20.0.0/16']), ['/ip4/10.20.1.1/tcp/5', '/ip4/10.21.0.1/tcp/6']), ['/ip4/10.20.1.1/tcp/5'])
    assert.deepEqual(kept(scope([PUBLIC_SELF], ['192.168.0.0/16']), peerAddresses), ['/ip4/192.168.1.7/tcp/2', `${PUBLIC_PEER}/tcp/3`, '/dns4/example.org/tcp/4'])
  })

  it('a relay address is judged by its relay\'s address; at most 16 addresses per peer', () => {
    const relayed = [`${PUBLIC_PEER}/tcp/1/p2p/${RELAY}/p2p-circuit`, `/ip4/192.168.1.1/tcp/1/p2p/${RELAY}/p2p-circuit`]
    assert.deepEqual(kept(scope([PUBLIC_SELF]), relayed), [relayed[0]])
    const flood = Array.from({ length: 1000 }, (_, i) => `${PUBLIC_PEER}/tcp/${i + 1}`)
    assert.equal(kept(scope([PUBLIC_SELF]), flood).length, MAX_ADDRESSES_PER_PEER)
  })

  it('auto mode serves with a public or a LAN address, and is a client behind a relay', () => {
    assert.equal(scope(['/ip4/127.0.0.1/tcp/9']).preferredMode(), 'server')
    assert.equal(scope(['/ip4/192.168.1.5/tcp/9']).preferredMode(), 'server')
    assert.equal(scope(['/ip4/192.168.1.5/tcp/9', `${PUBLIC_PEER}/tcp/1/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`]).preferredMode(), 'client')
    assert.equal(scope([PUBLIC_SELF, `${PUBLIC_PEER}/tcp/1/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`]).preferredMode(), 'server')
    assert.equal(scope(['/ip4/10.20.0.5/tcp/9', `${PUBLIC_PEER}/tcp/1/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`], ['10.20.0.0/16']).preferredMode(), 'server')
    assert.equal(scope([]).preferredMode(), 'client')
  })
})

describe('content id to DHT key', () => {
  it('is the multihash of CIDv1(raw, sha2-256 = the content id), no rehashing', () => {
    const id = '3fac567cc84e50b97737bb9f2ad5d3cefa4d605ae12be6b7c832e87828c473bd'
    assert.equal(Buffer.from(contentIdToDhtKey(id)).toString('hex'), `1220${id}`)
    // CIDv1 = version 0x01, codec raw 0x55, multihash sha2-256 0x12, length 0x20, digest
    assert.equal(Buffer.from(contentIdToCid(id).bytes).toString('hex'), `01551220${id}`)
    assert.throws(() => contentIdToCid(id.slice(1)), (err: any) => err.code === 'ERR_INVALID_CONTENT_ID')
  })
})
