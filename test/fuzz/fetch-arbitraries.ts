/**
 * fast-check arbitraries for valid `/peerit/fetch/1.0` messages, shared by
 * the codec and the handler fuzz tests.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { WIRE_LIMITS } from '../../protocols/fetch/constants.ts'
import { encodeRequest, encodeResponse } from '../../protocols/fetch/messages.ts'
import type { WireFile, WireQuery, WireRecord, WireRequest, WireResponse } from '../../protocols/fetch/messages.ts'

/** A few real peer ids (making keys per case would dominate the run time). */
export const PEER_IDS = await Promise.all(Array.from({ length: 4 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))

const ADDRESSES = ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/1', '/dns/peer.example/tcp/4001', '/ip4/10.0.0.1/udp/9/quic-v1'].map(text => multiaddr(text).bytes)

/** A string of 1..`maxCodePoints` code points: at 4 bytes each it stays within a `4 × maxCodePoints`-byte bound. */
function text (maxCodePoints: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: maxCodePoints }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: maxCodePoints })
  )
}

/** A request as an honest or sloppy sender would build it (ttl and hops anywhere in their wire range). */
export const wireRequestArbitrary: fc.Arbitrary<WireRequest> = fc.record({
  id: fc.uint8Array({ minLength: WIRE_LIMITS.fetchIdBytes, maxLength: WIRE_LIMITS.fetchIdBytes }),
  ttl: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.nat({ max: 2 ** 32 - 1 })),
  hops: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.nat({ max: WIRE_LIMITS.maxHops })),
  query: fc.option(fc.record({
    words: fc.array(text(WIRE_LIMITS.maxWordBytes / 4), { maxLength: WIRE_LIMITS.maxQueryWords }),
    type: fc.option(text(WIRE_LIMITS.maxTypeBytes / 4), { nil: undefined })
  }, { requiredKeys: ['words'] }) as fc.Arbitrary<WireQuery>, { nil: undefined })
}, { requiredKeys: ['id', 'ttl', 'hops'] })

const wireFileArbitrary: fc.Arbitrary<WireFile> = fc.record({
  id: fc.uint8Array({ minLength: WIRE_LIMITS.fileIdBytes, maxLength: WIRE_LIMITS.fileIdBytes }),
  name: fc.oneof(text(WIRE_LIMITS.maxNameBytes / 4), fc.constantFrom('song.mp3', 'a/b', '..', '\u202egpj.exe', 'x\u0000y')),
  size: fc.oneof(fc.nat({ max: 10_000 }), fc.maxSafeNat()),
  type: text(WIRE_LIMITS.maxTypeBytes / 4)
})

/** A provider record within every wire bound (its content may still fail the relay checks). */
export const wireRecordArbitrary: fc.Arbitrary<WireRecord> = fc.record({
  peerId: fc.oneof({ arbitrary: fc.constantFrom(...PEER_IDS), weight: 4 }, { arbitrary: text(WIRE_LIMITS.maxPeerIdBytes / 4), weight: 1 }),
  addresses: fc.array(fc.oneof({ arbitrary: fc.constantFrom(...ADDRESSES), weight: 4 }, { arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }), weight: 1 }), { maxLength: 4 }),
  files: fc.array(wireFileArbitrary, { maxLength: 6 }),
  hops: fc.integer({ min: 1, max: WIRE_LIMITS.maxHops })
})

/** A response frame body's value: "duplicate" or one record. */
export const wireResponseArbitrary: fc.Arbitrary<WireResponse> = fc.oneof(
  { arbitrary: fc.constant({ duplicate: true as const }), weight: 1 },
  { arbitrary: wireRecordArbitrary.map(record => ({ duplicate: false as const, record })), weight: 6 }
)

/** Encoded request bodies (no length prefix). */
export const requestBodyArbitrary = wireRequestArbitrary.map(encodeRequest)
/** Encoded response bodies (no length prefix). */
export const responseBodyArbitrary = wireResponseArbitrary.map(encodeResponse)
