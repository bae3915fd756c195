import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import { FileTable } from '../../src/discovered-files/file-table.ts'
import { decodeRecord, RECORD_FORMAT, RecordEncoder } from '../../src/discovered-files/record-codec.ts'
import { readSegment, SegmentWriter } from '../../src/discovered-files/record-log.ts'
import { DiscoveredFiles } from '../../src/discovered-files.ts'
import { Store } from '../../src/store.ts'
import { silentLogger, tempFolder } from '../fixtures/search.ts'
import type { DiscoveredFile, DiscoveredFileRecord, DiscoveredFilesInit } from '../../src/discovered-files.ts'

const idOf = (text: string): string => createHash('sha256').update(text).digest('hex')
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'

describe('discovered-file records', () => {
  it('encode and decode: name, size, every provider with its addresses and time', () => {
    const table = new FileTable()
    const ordinal = table.add(idOf('a'), 'Canción del mar.flac', 'cancion del mar.flac', 2 ** 40 + 3, 'flac')
    table.link(ordinal, table.peerNumber(ALICE, ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], 5, true), 5, 64)
    table.link(ordinal, table.peerNumber(BOB, [], 7, true), 7.5, 64)
    const encoder = new RecordEncoder()
    const bytes = encoder.encode(table, ordinal)
    assert.equal(bytes[0], RECORD_FORMAT)
    assert.deepEqual(decodeRecord(bytes), {
      name: 'Canción del mar.flac',
      size: 2 ** 40 + 3,
      providers: [
        { peerId: ALICE, addresses: ['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'], lastSeen: 5 },
        { peerId: BOB, addresses: [], lastSeen: 7.5 }
      ]
    })
    // A peer's new addresses are encoded afresh, not taken from the encoder's cache.
    table.peerNumber(ALICE, ['/ip4/127.0.0.1/tcp/9'], 9, true)
    assert.deepEqual(decodeRecord(encoder.encode(table, ordinal))?.providers[0].addresses, ['/ip4/127.0.0.1/tcp/9'])
  })

  it('decodes the JSON records of older stores, and rejects damaged or foreign values without reading past them', () => {
    const old: DiscoveredFileRecord = { name: 'old.txt', size: 3, providers: [{ peerId: ALICE, addresses: [], lastSeen: 1 }] }
    assert.deepEqual(decodeRecord(Buffer.from(JSON.stringify(old))), old)
    assert.equal(decodeRecord(Buffer.from('{"name": broken')), undefined)
    assert.equal(decodeRecord(Buffer.from([99, 1, 2, 3])), undefined, 'an unknown format byte')
    assert.equal(decodeRecord(new Uint8Array(0)), undefined)
    const table = new FileTable()
    const ordinal = table.add(idOf('b'), 'name.txt', 'name.txt', 1, 'txt')
    table.link(ordinal, table.peerNumber(ALICE, ['/ip4/127.0.0.1/tcp/1'], 1, true), 1, 64)
    const whole = new RecordEncoder().encode(table, ordinal)
    for (let length = 0; length < whole.byteLength; length++) {
      assert.equal(decodeRecord(whole.subarray(0, length)), undefined, `cut at ${length} bytes`)
    }
    assert.equal(decodeRecord(Buffer.concat([whole, Buffer.from([0])])), undefined, 'trailing bytes')
    const huge = Buffer.from(whole)
    huge.writeUInt32LE(0xffffffff, 9)
    assert.equal(decodeRecord(huge), undefined, 'a name length past the end')
  })
})

describe('log segments', () => {
  it('hold puts and removals in order, and a damaged one stops where the damage starts', () => {
    const table = new FileTable()
    const first = table.add(idOf('1'), 'one.txt', 'one.txt', 1, 'txt')
    const second = table.add(idOf('2'), 'two.txt', 'two.txt', 2, 'txt')
    table.link(first, table.peerNumber(ALICE, [], 1, true), 1, 64)
    table.link(second, table.peerNumber(BOB, [], 2, true), 2, 64)
    const segment = new SegmentWriter(new RecordEncoder())
    segment.put(table, first)
    segment.remove(idOf('1'))
    segment.put(table, second)
    const bytes = Buffer.from(segment.bytes())
    const seen: Array<[string, string | undefined]> = []
    assert.equal(readSegment(bytes, (id, record) => { seen.push([id, record?.name]) }), true)
    assert.deepEqual(seen, [[idOf('1'), 'one.txt'], [idOf('1'), undefined], [idOf('2'), 'two.txt']])
    for (const length of [0, 4, 40, bytes.byteLength - 1]) {
      assert.equal(readSegment(bytes.subarray(0, length), () => {}), false, `cut at ${length} bytes`)
    }
    assert.equal(readSegment(Buffer.concat([bytes, Buffer.from([0])]), () => {}), false, 'trailing bytes')
  })

  it('keep every entry across growth of their buffer', () => {
    const table = new FileTable()
    const peer = table.peerNumber(ALICE, ['/ip4/127.0.0.1/tcp/4001'], 1, true)
    const segment = new SegmentWriter(new RecordEncoder())
    const written: Array<[string, string | undefined]> = []
    for (let index = 0; index < 3000; index++) {
      const id = idOf(String(index))
      if (index % 7 === 3) {
        segment.remove(id)
        written.push([id, undefined])
        continue
      }
      const name = `file number ${index} of many.txt`
      const ordinal = table.add(id, name, name, index, 'txt')
      table.link(ordinal, peer, index, 64)
      segment.put(table, ordinal)
      written.push([id, name])
    }
    const read: Array<[string, string | undefined]> = []
    assert.equal(readSegment(segment.bytes(), (id, record) => { read.push([id, record?.name]) }), true)
    assert.deepEqual(read, written)
  })
})

describe('a store written before the record log (one record per file, JSON or binary)', () => {
  let folder: { path: string, remove: () => Promise<void> }
  let store: Store
  const snapshotPath = (): string => join(folder.path, 'discovered.snapshot')
  const open = async (init: Partial<DiscoveredFilesInit> = {}): Promise<DiscoveredFiles> => {
    const files = new DiscoveredFiles({ files: store.section<DiscoveredFileRecord>('discoveredFiles'), logger: silentLogger(), ...init })
    await files.open()
    return files
  }
  const restart = async (): Promise<void> => {
    await store.close()
    store = new Store(join(folder.path, 'db'))
    await store.open()
  }
  const contentsOf = async (files: DiscoveredFiles): Promise<DiscoveredFile[]> =>
    (await files.list({ limit: 1000 })).sort((a, b) => a.id.localeCompare(b.id))
  const keys = async (): Promise<string[]> => store.section('discoveredFiles').keys().all()

  const oldFiles: Array<[string, DiscoveredFileRecord]> = [
    [idOf('help'), { name: 'Beatles - Help.mp3', size: 4_000_000, providers: [{ peerId: ALICE, addresses: ['/ip4/127.0.0.1/tcp/4001'], lastSeen: 1000 }] }],
    [idOf('mar'), { name: 'Canción del mar.flac', size: 30_000_000, providers: [{ peerId: ALICE, addresses: ['/ip4/127.0.0.1/tcp/4001'], lastSeen: 1000 }, { peerId: BOB, addresses: [], lastSeen: 900 }] }],
    [idOf('report'), { name: 'holiday report.pdf', size: 12, providers: [{ peerId: BOB, addresses: ['/ip4/127.0.0.1/tcp/4002'], lastSeen: 900 }] }]
  ]

  /**
   * Writes one record per file keyed by its content id, as the code before
   * the log did: JSON values through the section's JSON encoding (before the
   * binary format), or binary values (RECORD_FORMAT 1) encoded from a file
   * table by RecordEncoder and put raw (after it).
   */
  const writeOldStore = async (format: 'json' | 'binary' = 'json'): Promise<void> => {
    if (format === 'json') {
      await store.section<DiscoveredFileRecord>('discoveredFiles').batch(oldFiles.map(([key, value]) => ({ type: 'put', key, value })))
      return
    }
    const table = new FileTable()
    const encoder = new RecordEncoder()
    const section = store.section<Buffer>('discoveredFiles')
    // A chained batch (as the old code used) needs the section open.
    await section.open()
    const batch = section.batch()
    for (const [id, { name, size, providers }] of oldFiles) {
      const ordinal = table.add(id, name, name.toLowerCase(), size, name.slice(name.lastIndexOf('.') + 1))
      table.setProviders(ordinal, providers.map(({ peerId, addresses, lastSeen }) => ({ peer: table.peerNumber(peerId, addresses, lastSeen, false), lastSeen })))
      batch.put(id, encoder.encode(table, ordinal), { valueEncoding: 'buffer' })
    }
    await batch.write()
    assert.equal((await section.get(idOf('mar'), { valueEncoding: 'buffer' }))?.[0], RECORD_FORMAT, 'stored binary')
  }

  before(async () => {
    folder = await tempFolder('records')
    store = new Store(join(folder.path, 'db'))
    await store.open()
  })
  beforeEach(async () => {
    await store.section('discoveredFiles').clear()
  })
  after(async () => {
    await store.close()
    await folder.remove()
  })

  for (const format of ['json', 'binary'] as const) {
    it(`keeps every old file (${format} records) with its providers; changes go to the log, and a log rewrite retires the old records`, async () => {
      await writeOldStore(format)
      const files = await open()
      assert.equal(files.size, 3)
      assert.deepEqual((await files.search({ text: 'cancion' })).map(file => [file.name, file.size, file.type]), [['Canción del mar.flac', 30_000_000, 'music']])
      assert.deepEqual((await files.get(idOf('mar')))?.providers, [
        { peerId: ALICE, addresses: ['/ip4/127.0.0.1/tcp/4001'], lastSeen: 1000 },
        { peerId: BOB, addresses: [], lastSeen: 900 }
      ])
      const help = { id: idOf('help'), name: 'Beatles - Help.mp3', size: 4_000_000, type: 'music' as const }
      await files.ingest([{ peerId: BOB, addresses: ['/ip4/127.0.0.1/tcp/4003'], files: [help], hops: 1 }], 2000)
      const expected = await contentsOf(files)
      assert.deepEqual(expected.find(file => file.id === idOf('help'))?.providers.map(provider => provider.peerId), [ALICE, BOB])
      await restart()
      assert.deepEqual(await contentsOf(await open()), expected, 'the log entry wins over the old record')
      assert.ok((await keys()).includes(idOf('report')), 'old records stay until the log is rewritten')

      // One fetch reporting the same file 1,100 times makes the log far longer than the files: it is rewritten.
      const again = await open()
      await again.ingest([{ peerId: BOB, addresses: ['/ip4/127.0.0.1/tcp/4003'], files: Array.from({ length: 1100 }, () => help), hops: 1 }], 2000)
      const stored = await keys()
      assert.deepEqual(stored.filter(key => !key.startsWith('~')), [], 'no per-file record is left')
      assert.ok(stored.filter(key => key.startsWith('~log~')).length >= 1)
      assert.deepEqual(await contentsOf(again), expected)
      await restart()
      assert.deepEqual(await contentsOf(await open()), expected, 'the rewritten log holds every file')
    })
  }

  it('opens from the records the first time, then from a snapshot, with the same files', async () => {
    await writeOldStore()
    const files = await open({ snapshotPath: snapshotPath() })
    assert.equal(files.openedFrom, 'records')
    const expected = await contentsOf(files)
    assert.equal(expected.length, 3)
    await files.close()
    await restart()
    const reopened = await open({ snapshotPath: snapshotPath() })
    assert.equal(reopened.openedFrom, 'snapshot')
    assert.deepEqual(await contentsOf(reopened), expected)
  })

  it('skips a damaged value and keeps the rest', async () => {
    await writeOldStore()
    await store.section<Buffer>('discoveredFiles').put(idOf('damaged'), Buffer.from([RECORD_FORMAT, 1, 2]), { valueEncoding: 'buffer' })
    const files = await open()
    await files.ingest([{ peerId: BOB, addresses: [], files: [{ id: idOf('new'), name: 'new.txt', size: 1, type: 'other' }], hops: 1 }], 3000)
    const [segmentKey] = (await keys()).filter(key => key.startsWith('~log~'))
    const segment = await store.section<Buffer>('discoveredFiles').get(segmentKey, { valueEncoding: 'buffer' }) as Buffer
    await store.section<Buffer>('discoveredFiles').put(segmentKey, segment.subarray(0, segment.byteLength - 1), { valueEncoding: 'buffer' })
    const reopened = await open()
    assert.deepEqual((await reopened.list()).map(file => file.name).sort(), ['Beatles - Help.mp3', 'Canción del mar.flac', 'holiday report.pdf'])
  })
})
