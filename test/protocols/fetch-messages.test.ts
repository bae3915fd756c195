import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { MAX_TTL, WIRE_LIMITS } from '../../protocols/fetch/constants.ts'
import { clampTtl } from '../../protocols/fetch/deadlines.ts'
import { FrameReader, encodeFrame } from '../../protocols/fetch/framing.ts'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../protocols/fetch/messages.ts'
import { checkRecord, packRecords, sanitizeName, toWireFiles, toWireQuery } from '../../protocols/fetch/records.ts'
import { SeenCache } from '../../protocols/fetch/seen-cache.ts'
import { waitFor } from '../fixtures/poll.ts'
import type { WireFile, WireRecord, WireRequest } from '../../protocols/fetch/messages.ts'

const limits = { maxFilesPerRecord: 128 }
const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
const address = multiaddr('/ip4/127.0.0.1/tcp/4001').bytes

function file (n: number, name = `file-${n}.mp3`): WireFile {
  return { id: new Uint8Array(32).fill(n % 256), name, size: n * 1000, type: 'music' }
}

function record (files: WireFile[], hops = 1): WireRecord {
  return { peerId, addresses: [address], files, hops }
}

/** Builds a raw protobuf field by hand: tag, then a varint or length-delimited bytes. */
function field (number: number, value: number | Uint8Array): Uint8Array {
  if (typeof value === 'number') {
    return Uint8Array.from([number << 3, ...varint(value)])
  }
  return Uint8Array.from([(number << 3) | 2, ...varint(value.byteLength), ...value])
}

function varint (value: number): number[] {
  const bytes: number[] = []
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80)
    value = Math.floor(value / 128)
  }
  bytes.push(value)
  return bytes
}

function concat (...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap(part => [...part]))
}

describe('seen-cache', () => {
  it('remembers an id until it expires', () => {
    let now = 0
    const cache = new SeenCache({ ttlMs: 30_000, maxEntries: 10, now: () => now })
    assert.equal(cache.add('a'), true)
    assert.equal(cache.add('a'), false, 'a second add of the same id reports a duplicate')
    now = 29_999
    assert.equal(cache.has('a'), true)
    now = 30_000
    assert.equal(cache.has('a'), false)
    assert.equal(cache.add('a'), true, 'an expired id is new again')
  })

  it('is bounded and forgets the oldest first', () => {
    let now = 0
    const cache = new SeenCache({ ttlMs: 1_000, maxEntries: 3, now: () => now })
    for (const id of ['a', 'b', 'c', 'd']) {
      now++
      cache.add(id)
    }
    assert.equal(cache.size, 3)
    assert.equal(cache.has('a'), false)
    assert.deepEqual(['b', 'c', 'd'].map(id => cache.has(id)), [true, true, true])
  })

  it('drops expired entries without being asked about them', () => {
    let now = 0
    const cache = new SeenCache({ ttlMs: 10, maxEntries: 1_000, now: () => now })
    for (let i = 0; i < 500; i++) cache.add(`id-${i}`)
    now = 11
    cache.add('fresh')
    assert.equal(cache.size, 1)
  })
})

describe('TTL', () => {
  it('clamps large TTLs so TTL + hops never exceeds the cap', () => {
    assert.equal(clampTtl(255, 0, MAX_TTL), 10)
    assert.equal(clampTtl(7, 0, MAX_TTL), 7)
    assert.equal(clampTtl(10, 4, MAX_TTL), 6)
    assert.equal(clampTtl(1, 9, MAX_TTL), 1)
  })

  it('rejects TTL 0, fractions and hops at the cap', () => {
    for (const [ttl, hops] of [[0, 0], [-1, 0], [1.5, 0], [3, 10], [1, 200]]) {
      assert.throws(() => clampTtl(ttl, hops, MAX_TTL), { name: 'InvalidTtlError', code: 'ERR_INVALID_TTL' })
    }
  })
})

describe('fetch codec', () => {
  it('round-trips a request with and without a query', () => {
    const id = crypto.getRandomValues(new Uint8Array(16))
    const bare: WireRequest = { id, ttl: 7, hops: 0 }
    assert.deepEqual(decodeRequest(encodeRequest(bare)), bare)
    const withQuery: WireRequest = { id, ttl: 3, hops: 4, query: { words: ['canción', 'live'], type: 'music' } }
    assert.deepEqual(decodeRequest(encodeRequest(withQuery)), withQuery)
  })

  it('round-trips duplicate and record responses', () => {
    assert.deepEqual(decodeResponse(encodeResponse({ duplicate: true }), limits), { duplicate: true })
    const answer = { duplicate: false as const, record: record([file(1), file(2, 'Ünïcode 日本.flac')], 3) }
    assert.deepEqual(decodeResponse(encodeResponse(answer), limits), answer)
  })

  it('round-trips any valid record (property)', () => {
    const wireFile = fc.record({
      id: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      name: fc.string({ minLength: 1, maxLength: 60 }),
      size: fc.maxSafeNat(),
      type: fc.constantFrom('music', 'video', 'pdf', 'other')
    }, { noNullPrototype: true })
    fc.assert(fc.property(fc.array(wireFile, { maxLength: 20 }), fc.integer({ min: 1, max: 255 }), (files, hops) => {
      const answer = { duplicate: false as const, record: { peerId, addresses: [address], files, hops } }
      assert.deepEqual(decodeResponse(encodeResponse(answer), limits), answer)
    }))
  })

  it('throws only InvalidMessageError on garbage (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), bytes => {
      for (const decode of [() => decodeRequest(bytes), () => decodeResponse(bytes, limits)]) {
        try {
          decode()
        } catch (err) {
          assert.equal((err as Error).name, 'InvalidMessageError')
        }
      }
    }))
  })

  it('rejects every truncation of a valid frame', () => {
    const bytes = encodeResponse({ duplicate: false, record: record([file(1), file(2)]) })
    for (let length = 0; length < bytes.byteLength; length++) {
      assert.throws(() => decodeResponse(bytes.subarray(0, length), limits), { name: 'InvalidMessageError' }, `truncated to ${length}`)
    }
  })

  it('rejects requests that break a field rule', () => {
    const id = new Uint8Array(16)
    const cases: Record<string, Uint8Array> = {
      'no id': field(2, 7),
      'short id': concat(field(1, new Uint8Array(15)), field(2, 7)),
      'id with the wrong wire type': concat(field(1, 5), field(2, 7)),
      'id twice': concat(field(1, id), field(1, id), field(2, 7)),
      'hops out of range': concat(field(1, id), field(2, 7), field(3, 256)),
      'too many words': encodeRequest({ id, ttl: 7, hops: 0, query: { words: Array.from({ length: WIRE_LIMITS.maxQueryWords + 1 }, () => 'w') } }),
      'a long word': encodeRequest({ id, ttl: 7, hops: 0, query: { words: ['w'.repeat(WIRE_LIMITS.maxWordBytes + 1)] } }),
      'invalid UTF-8': concat(field(1, id), field(2, 7), field(4, field(1, Uint8Array.from([0xff, 0xfe]))))
    }
    for (const [what, bytes] of Object.entries(cases)) {
      assert.throws(() => decodeRequest(bytes), { name: 'InvalidMessageError' }, what)
    }
  })

  it('rejects responses that break a field rule', () => {
    const cases: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      'both duplicate and record': encodeResponse({ duplicate: true, record: record([]) } as never),
      'too many files': encodeResponse({ duplicate: false, record: record(Array.from({ length: 129 }, (_, i) => file(i))) }),
      'a 256-byte name': encodeResponse({ duplicate: false, record: record([file(1, 'n'.repeat(256))]) }),
      'hops 0': encodeResponse({ duplicate: false, record: record([], 0) }),
      'a 31-byte file id': encodeResponse({ duplicate: false, record: record([{ ...file(1), id: new Uint8Array(31) }]) }),
      'a size past 2^53': field(2, concat(field(1, new TextEncoder().encode(peerId)), field(3, concat(field(1, new Uint8Array(32)), field(2, Uint8Array.of(0x61)), field(3, 2 ** 53 + 2), field(4, Uint8Array.of(0x61)))), field(4, 1))),
      'too many addresses': encodeResponse({ duplicate: false, record: { ...record([]), addresses: Array.from({ length: 17 }, () => address) } })
    }
    for (const [what, bytes] of Object.entries(cases)) {
      assert.throws(() => decodeResponse(bytes, limits), { name: 'InvalidMessageError' }, what)
    }
  })

  it('skips unknown fields, so later versions can add some', () => {
    const bytes = concat(encodeRequest({ id: new Uint8Array(16), ttl: 2, hops: 0 }), field(15, Uint8Array.of(1, 2, 3)))
    assert.equal(decodeRequest(bytes).ttl, 2)
  })
})

describe('framing', () => {
  async function readAll (bytes: Uint8Array[], maxMessageBytes = 1024): Promise<{ frames: number[], error?: Error }> {
    const [outbound, inbound] = await streamPair()
    const reader = new FrameReader(inbound, maxMessageBytes)
    for (const chunk of bytes) outbound.send(chunk)
    await outbound.close()
    const frames: number[] = []
    try {
      for (let frame = await reader.next(AbortSignal.timeout(5_000)); frame != null; frame = await reader.next(AbortSignal.timeout(5_000))) {
        frames.push(frame.byteLength)
      }
      return { frames }
    } catch (err) {
      return { frames, error: err as Error }
    } finally {
      reader.dispose()
      inbound.abort(new Error('test done'))
    }
  }

  it('splits a byte stream into frames however it is chunked, and ends cleanly', async () => {
    const bytes = concat(encodeFrame(new Uint8Array(3)), encodeFrame(new Uint8Array(300)), encodeFrame(new Uint8Array(1)))
    const result = await readAll([bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5)])
    assert.deepEqual(result, { frames: [3, 300, 1] })
  })

  it('refuses an oversized length prefix before the body arrives', async () => {
    const result = await readAll([Uint8Array.from(varint(1025))])
    assert.equal(result.error?.name, 'MessageTooLargeError')
  })

  it('reports a stream cut inside a frame as truncated', async () => {
    const result = await readAll([encodeFrame(new Uint8Array(10)).subarray(0, 6)])
    assert.equal(result.error?.name, 'TruncatedMessageError')
  })

  it('a stream that closes cleanly while the reader holds it paused still gives every frame', async () => {
    const [outbound, inbound] = await streamPair()
    const reader = new FrameReader(inbound, 1024)
    // our side is done first, as a requester's is: the remote's close then closes the stream
    await inbound.close()
    for (let i = 0; i < 20; i++) outbound.send(encodeFrame(Uint8Array.of(i + 1)))
    await waitFor(() => inbound.readStatus === 'paused', 5_000, 'the reader to pause at its high-water mark')
    for (let i = 20; i < 100; i++) outbound.send(encodeFrame(Uint8Array.of(i + 1)))
    await outbound.close()
    await waitFor(() => inbound.status === 'closed', 5_000, 'the stream to close')
    const frames: number[] = []
    try {
      for (let frame = await reader.next(AbortSignal.timeout(5_000)); frame != null; frame = await reader.next(AbortSignal.timeout(5_000))) {
        frames.push(frame.get(0))
      }
    } finally {
      reader.dispose()
    }
    assert.deepEqual(frames, Array.from({ length: 100 }, (_, i) => i + 1))
  })

  it('refuses empty frames and non-minimal or endless prefixes', async () => {
    assert.equal((await readAll([Uint8Array.of(0)])).error?.name, 'InvalidMessageError')
    assert.equal((await readAll([Uint8Array.of(0x81, 0x00)])).error?.name, 'InvalidMessageError')
    assert.equal((await readAll([Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)], 2 ** 40)).error?.name, 'InvalidMessageError')
  })
})

describe('records', () => {
  it('sanitises names: no control or bidi characters, no path separators, at most 255 bytes', () => {
    assert.equal(sanitizeName('../../etc/passwd'), '.._.._etc_passwd')
    assert.equal(sanitizeName('a\u0000b\nc\u202Ed.mp3'), 'abcd.mp3')
    assert.equal(sanitizeName('..'), undefined)
    assert.equal(sanitizeName('\u0001\u0002'), undefined)
    const long = sanitizeName('é'.repeat(10_000))
    assert.ok(long != null && new TextEncoder().encode(long).byteLength <= 255 && long === 'é'.repeat(127))
  })

  it('drops local files that cannot be sent', () => {
    const good = { id: 'a'.repeat(64), name: 'x.mp3', size: 1, type: 'music' }
    const result = toWireFiles([good, { ...good, id: 'XYZ' }, { ...good, size: -1 }, { ...good, name: '\u0000' }, { ...good, type: '' }])
    assert.equal(result.value?.length, 1)
    assert.equal(result.dropped, 4)
  })

  it('drops a relayed record whose peer id does not parse, or that names us, or that claims to be too close', () => {
    assert.equal(checkRecord({ ...record([]), peerId: 'not-a-peer-id' }, 1, 'self').value, undefined)
    assert.equal(checkRecord(record([]), 1, peerId).value, undefined)
    assert.equal(checkRecord(record([], 1), 2, 'self').value, undefined)
    assert.ok(checkRecord(record([], 2), 2, 'self').value != null)
  })

  it('drops bad addresses and files one by one from a relayed record', () => {
    const checked = checkRecord({ peerId, addresses: [address, Uint8Array.of(0xff, 0xff, 0xff)], files: [file(1), file(2, 'evil\u0000.exe'), file(3, 'a/b')], hops: 1 }, 1, 'self')
    assert.equal(checked.value?.addresses.length, 1)
    assert.deepEqual(checked.value?.files.map(f => f.name), ['file-1.mp3'])
    assert.equal(checked.dropped, 3)
  })

  it('packs many files into frames within the count and byte limits', () => {
    const files = Array.from({ length: 300 }, (_, i) => file(i))
    const byCount = packRecords({ peerId, addresses: [address], hops: 1 }, files, 128, 65_536)
    assert.deepEqual(byCount.map(r => r.files.length), [128, 128, 44])
    const bySize = packRecords({ peerId, addresses: [address], hops: 1 }, files, 128, 2_000)
    assert.ok(bySize.length > 3)
    assert.equal(bySize.flatMap(r => r.files).length, 300)
    for (const frame of bySize) {
      assert.ok(encodeResponse({ duplicate: false, record: frame }).byteLength <= 2_000)
    }
    assert.equal(packRecords({ peerId, addresses: [], hops: 1 }, [], 128, 65_536).length, 1, 'a peer with nothing still answers one record')
  })

  it('checks a caller query against the wire bounds', () => {
    assert.equal(toWireQuery({ words: ['  ', ''] }), undefined)
    assert.deepEqual(toWireQuery({ words: [' song '], type: 'mp3' }), { words: ['song'], type: 'mp3' })
    assert.throws(() => toWireQuery({ words: Array.from({ length: 17 }, () => 'w') }), { name: 'InvalidMessageError' })
  })
})
