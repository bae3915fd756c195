import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { formatLink, InvalidLinkError, isLink, MAX_LINK_PEERS, parseLink } from '../src/link.ts'
import { fuzzParameters } from './fuzz/runs.ts'
import type { PeeritLink } from '../src/link.ts'

const ID = '3fac567cc84e50b97737bb9f2ad5d3cefa4d605ae12be6b7c832e87828c473bd'
const PEER = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const HINT = `/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`

function rejects (text: string, pattern: RegExp): void {
  assert.throws(() => parseLink(text), (err: any) => err instanceof InvalidLinkError && err.code === 'ERR_INVALID_LINK' && pattern.test(err.message))
}

describe('peerit: links', () => {
  it('a link carries id, name, size and hints, and reads back the same', () => {
    const link: PeeritLink = { contentId: ID, name: 'my report (v2) & notes.pdf', size: 1024, peers: [HINT, `/ip6/::1/tcp/4002/p2p/${PEER}`] }
    const text = formatLink(link)
    assert.match(text, /^peerit:3fac567c[0-9a-f]{56}\?name=my%20report%20\(v2\)%20%26%20notes\.pdf&size=1024&peer=\/ip4\/127\.0\.0\.1\/tcp\/4001\/p2p\//)
    assert.deepEqual(parseLink(text), link)
    assert.deepEqual(parseLink(`  peerit:${ID.toUpperCase()}\n`), { contentId: ID, peers: [] })
    assert.ok(isLink('PEERIT:abc') && !isLink('report.pdf'))
  })

  it('each bad part is named', () => {
    rejects(`peerit:${ID.slice(1)}`, /63 hex digits; a full content id has 64/)
    rejects(`peerit:${ID}0`, /65 hex digits/)
    rejects(`peerit:${ID.slice(1)}g`, /other than hex digits/)
    rejects(`peerit:${ID}?name=a&colour=red`, /unknown parameter "colour"/)
    rejects(`peerit:${ID}?name=a&name=b`, /name twice/)
    rejects(`peerit:${ID}?size=1&size=1`, /size twice/)
    rejects(`peerit:${ID}?name`, /has no value/)
    rejects(`peerit:${ID}?name=..%2Fetc%2Fpasswd`, /path separator/)
    rejects(`peerit:${ID}?name=a%5Cb`, /path separator/)
    rejects(`peerit:${ID}?name=..`, /not a file name/)
    rejects(`peerit:${ID}?name=`, /not a file name/)
    rejects(`peerit:${ID}?name=a%0Ab`, /control characters/)
    rejects(`peerit:${ID}?name=a%1Bb`, /control characters/)
    rejects(`peerit:${ID}?name=%E0%A4%A`, /broken %-escape/)
    rejects(`peerit:${ID}?name=${'a'.repeat(256)}`, /256 bytes long/)
    for (const size of ['-1', '1e3', '0x10', '01', '1.5', '9007199254740992', '']) {
      rejects(`peerit:${ID}?size=${size}`, /is not a number of bytes/)
    }
    rejects(`peerit:${ID}?peer=/ip4/127.0.0.1/tcp/4001`, /must end with \/p2p\/<peer id>/)
    rejects(`peerit:${ID}?peer=/ip4/999.0.0.1/tcp/4001/p2p/${PEER}`, /is not a multiaddr/)
    rejects(`peerit:${ID}?peer=127.0.0.1:4001`, /is not a multiaddr/)
    rejects(`peerit:${ID}?peer=/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWnotapeer`, /not a multiaddr|invalid peer id/)
    const many = Array.from({ length: MAX_LINK_PEERS + 1 }, (_, i) => `peer=/ip4/127.0.0.1/tcp/${4000 + i}/p2p/${PEER}`).join('&')
    rejects(`peerit:${ID}?${many}`, /names 9 peers; at most 8/)
    rejects(`peerit:${ID}?name=a b`, /spaces or characters outside printable ASCII/)
    rejects(`peerit:${ID}?name=${'a'.repeat(5000)}`, /at most 4096/)
    rejects(`magnet:${ID}`, /starts with "peerit:"/)
  })

  it('formatLink refuses what parseLink would refuse', () => {
    assert.throws(() => formatLink({ contentId: ID, name: 'a/b', peers: [] }), InvalidLinkError)
    assert.throws(() => formatLink({ contentId: 'abc', peers: [] }), InvalidLinkError)
  })

  it('any valid link survives a round trip (fast-check)', () => {
    const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
      .filter(n => n !== '.' && n !== '..' && !/[/\\\p{Cc}]/u.test(n))
    const link = fc.record({
      contentId: fc.stringMatching(/^[0-9a-f]{64}$/),
      name: fc.option(name, { nil: undefined }),
      size: fc.option(fc.maxSafeNat(), { nil: undefined }),
      peers: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }).map(port => `/ip4/127.0.0.1/tcp/${port}/p2p/${PEER}`), { maxLength: MAX_LINK_PEERS })
    }, { requiredKeys: ['contentId', 'peers'] })
    fc.assert(fc.property(link, (value) => {
      const parsed = parseLink(formatLink(value))
      assert.deepEqual(parsed, JSON.parse(JSON.stringify(value)))
    }), fuzzParameters())
  })

  it('any string either parses or is an InvalidLinkError, never another failure (fast-check)', () => {
    const base = formatLink({ contentId: ID, name: 'a.txt', size: 5, peers: [HINT] })
    const mangled = fc.tuple(fc.nat({ max: base.length }), fc.nat({ max: 20 }), fc.string({ maxLength: 20 }))
      .map(([at, cut, insert]) => base.slice(0, at) + insert + base.slice(at + cut))
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), mangled), (text) => {
      try {
        const link = parseLink(text)
        assert.match(link.contentId, /^[0-9a-f]{64}$/)
      } catch (err) {
        assert.ok(err instanceof InvalidLinkError, `unexpected ${String(err)}`)
      }
    }), fuzzParameters())
  })
})
