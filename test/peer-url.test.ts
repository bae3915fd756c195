import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { InvalidPeerUrlError, parsePeerUrl, sameAddress } from '../src/peer-url.ts'

const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

/** Asserts that `input` is rejected with an InvalidPeerUrlError whose message contains `reason`. */
function assertRejected (input: string, reason: string): void {
  assert.throws(() => parsePeerUrl(input), (err: Error & { code?: string }) => {
    assert.equal(err.name, 'InvalidPeerUrlError')
    assert.equal(err.code, 'ERR_INVALID_PEER_URL')
    assert.ok(err.message.includes('a multiaddr such as /ip4/127.0.0.1/tcp/4001'), err.message)
    assert.ok(err.message.includes(reason), err.message)
    return true
  }, `expected ${JSON.stringify(input)} to be rejected`)
}

describe('parsePeerUrl host:port', () => {
  const accepted: Array<[string, string]> = [
    ['127.0.0.1:4001', '/ip4/127.0.0.1/tcp/4001'],
    ['  10.0.0.7:65535  ', '/ip4/10.0.0.7/tcp/65535'],
    ['[::1]:4001', '/ip6/::1/tcp/4001'],
    ['[2001:db8::7]:1', '/ip6/2001:db8::7/tcp/1'],
    ['localhost:4001', '/ip4/127.0.0.1/tcp/4001'],
    ['LocalHost:4002', '/ip4/127.0.0.1/tcp/4002'],
    ['peer.example.com:4001', '/dns/peer.example.com/tcp/4001'],
    ['Peer-1.Example.ORG:80', '/dns/peer-1.example.org/tcp/80'],
    ['nas:4001', '/dns/nas/tcp/4001'],
    ['peer.example.com.:4001', '/dns/peer.example.com./tcp/4001']
  ]
  for (const [input, expected] of accepted) {
    it(`reads ${JSON.stringify(input)} as ${expected}`, () => {
      const url = parsePeerUrl(input)
      assert.equal(url.multiaddr.toString(), expected)
      assert.equal(url.input, input)
      assert.equal(url.peerId, undefined)
    })
  }

  it('turns any IPv4 address and port into /ip4/…/tcp/…', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 1, max: 65535 }), (ip, port) => {
      assert.equal(parsePeerUrl(`${ip}:${port}`).multiaddr.toString(), `/ip4/${ip}/tcp/${port}`)
    }))
  })

  it('turns any DNS name and port into /dns/…/tcp/…', () => {
    fc.assert(fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (name, port) => {
      assert.equal(parsePeerUrl(`${name}:${port}`).multiaddr.toString(), `/dns/${name.toLowerCase()}/tcp/${port}`)
    }))
  })

  it('rejects ports outside 1..65535 and ports that are not numbers', () => {
    for (const port of ['0', '65536', '99999', '123456', '-1', '+80', '4001x', 'http', '1e3', ' 80']) {
      assertRejected(`127.0.0.1:${port}`, 'the port must be a number from 1 to 65535')
    }
  })

  it('says the port is missing when there is none', () => {
    for (const input of ['127.0.0.1', 'peer.example.com', '[::1]', '127.0.0.1:', '[::1]:']) {
      assertRejected(input, 'the port is missing')
    }
  })

  it('asks for brackets around an IPv6 address', () => {
    assertRejected('::1:4001', 'IPv6 addresses go in brackets')
    assertRejected('::1', 'IPv6 addresses go in brackets')
  })

  it('rejects hosts that are neither an IP address nor a host name', () => {
    for (const input of ['999.1.1.1:80', '1.2.3:80', 'http://peer:80', 'peer_1:80', 'a peer:80', '-peer:80', '[peer]:80', '[fe80::1%eth0]:80', `${'a'.repeat(64)}.com:80`]) {
      assertRejected(input, 'is not an IP address or a host name')
    }
  })

  it('rejects empty input', () => {
    assertRejected('', 'it is empty')
    assertRejected('   ', 'it is empty')
  })
})

describe('parsePeerUrl multiaddr', () => {
  const accepted = [
    '/ip4/127.0.0.1/tcp/4001',
    '/ip6/::1/tcp/4001',
    '/dns/peer.example.com/tcp/4001',
    '/dns4/peer.example.com/tcp/4001',
    '/dns6/peer.example.com/tcp/4001'
  ]
  for (const input of accepted) {
    it(`accepts ${input} without a peer id`, () => {
      const url = parsePeerUrl(input)
      assert.equal(url.multiaddr.toString(), input)
      assert.equal(url.peerId, undefined)
    })
  }

  it('accepts /p2p/<id> and returns the peer id', () => {
    const url = parsePeerUrl(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)
    assert.equal(url.peerId, peerId)
    assert.equal(url.multiaddr.toString(), `/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)
  })

  it('rejects a /p2p/ part that is not a peer id', () => {
    assertRejected('/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW', 'is not a valid peer id')
    assertRejected(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId.slice(0, -3)}`, 'is not a valid peer id')
  })

  it('rejects port 0 and out-of-range ports', () => {
    assertRejected('/ip4/127.0.0.1/tcp/0', 'the port must be a number from 1 to 65535')
    assertRejected('/ip4/127.0.0.1/tcp/65536', 'not a valid multiaddr')
  })

  it('rejects multiaddrs that cannot be dialled over TCP', () => {
    for (const input of ['/', '/ip4/127.0.0.1', '/ip4/127.0.0.1/udp/4001', '/ip4/127.0.0.1/tcp/4001/ws', `/p2p/${peerId}`, '/tcp/4001', `/ip4/127.0.0.1/tcp/4001/p2p/${peerId}/p2p-circuit`]) {
      assertRejected(input, 'a multiaddr must be an IP or DNS address, a TCP port')
    }
  })

  it('rejects text that is not a multiaddr', () => {
    for (const input of ['/ip4/999.0.0.1/tcp/1', '/peer/4001', '/ip4/127.0.0.1/tcp/abc']) {
      assertRejected(input, 'not a valid multiaddr')
    }
  })
})

describe('parsePeerUrl on arbitrary input', () => {
  it('either returns a TCP multiaddr or throws InvalidPeerUrlError, never anything else', () => {
    const inputs = fc.oneof(fc.string(), fc.string().map(s => `/${s}`), fc.string().map(s => `/ip4/127.0.0.1/tcp/${s}`), fc.string().map(s => `${s}:4001`))
    fc.assert(fc.property(inputs, input => {
      try {
        const url = parsePeerUrl(input)
        assert.ok(url.multiaddr.getComponents().some(component => component.name === 'tcp'))
      } catch (err) {
        assert.ok(err instanceof InvalidPeerUrlError, String(err))
      }
    }), { numRuns: 2000 })
  })
})

describe('sameAddress', () => {
  it('ignores /p2p/<id>', () => {
    assert.equal(sameAddress(multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)), true)
    assert.equal(sameAddress(multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`), multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)), true)
  })

  it('tells different hosts and ports apart', () => {
    assert.equal(sameAddress(multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr('/ip4/127.0.0.1/tcp/4002')), false)
    assert.equal(sameAddress(multiaddr('/ip4/127.0.0.1/tcp/4001'), multiaddr('/ip4/127.0.0.2/tcp/4001')), false)
  })

  it('matches localhost:port with the address a default peer announces', () => {
    assert.equal(sameAddress(parsePeerUrl('localhost:4001').multiaddr, multiaddr(`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`)), true)
  })
})
