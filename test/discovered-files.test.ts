import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, beforeEach, describe, it } from 'node:test'
import { DiscoveredFiles } from '../src/discovered-files.ts'
import { Store } from '../src/store.ts'
import { silentLogger, tempStore } from './fixtures/search.ts'
import type { ProviderRecord, SharedFileEntry } from '../protocols/fetch/index.ts'
import type { DiscoveredFileRecord, DiscoveredFilesInit } from '../src/discovered-files.ts'

const idOf = (text: string): string => createHash('sha256').update(text).digest('hex')
const entry = (name: string, size = 10): SharedFileEntry => ({ id: idOf(name), name, size, type: 'other' })
const record = (peerId: string, files: SharedFileEntry[], addresses = [`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`]): ProviderRecord =>
  ({ peerId, addresses, files, hops: 1 })
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'
const HOUR = 60 * 60 * 1000

describe('DiscoveredFiles', () => {
  let store: Store
  let location: string
  let remove: () => Promise<void>
  const open = async (init: Partial<DiscoveredFilesInit> = {}): Promise<DiscoveredFiles> => {
    const files = new DiscoveredFiles({ files: store.section<DiscoveredFileRecord>('discoveredFiles'), logger: silentLogger(), ...init })
    await files.open()
    return files
  }

  before(async () => {
    ({ store, location, remove } = await tempStore('discovered'))
  })
  beforeEach(async () => {
    await store.section('discoveredFiles').clear()
  })
  after(async () => {
    // A test reopens the database as a new Store: close that one too, or LevelDB may still be
    // writing into the folder while it is removed (ENOTEMPTY).
    await store.close()
    await remove()
  })

  it('ingests files and merges the providers of one content id', async () => {
    const files = await open()
    const shared = entry('Beatles - Help.mp3', 1234)
    assert.deepEqual(await files.ingest([record(ALICE, [shared, entry('Report.pdf')])], 1000), { files: 2 })
    assert.deepEqual(await files.ingest([record(BOB, [shared], ['/ip4/127.0.0.1/tcp/4002'])], 2000), { files: 1 })
    assert.equal(files.size, 2)
    const help = await files.get(shared.id)
    assert.equal(help?.name, 'Beatles - Help.mp3')
    assert.equal(help?.size, 1234)
    assert.equal(help?.type, 'music')
    assert.deepEqual(help?.providers, [
      { peerId: ALICE, addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${ALICE}`], lastSeen: 1000 },
      { peerId: BOB, addresses: ['/ip4/127.0.0.1/tcp/4002'], lastSeen: 2000 }
    ])
    // A later fetch refreshes lastSeen and the provider's addresses.
    await files.ingest([record(ALICE, [shared], ['/ip4/127.0.0.1/tcp/5000'])], 3000)
    const refreshed = await files.get(shared.id)
    assert.deepEqual(refreshed?.providers.map(provider => [provider.peerId, provider.lastSeen, provider.addresses[0]]), [
      [ALICE, 3000, '/ip4/127.0.0.1/tcp/5000'],
      [BOB, 2000, '/ip4/127.0.0.1/tcp/4002']
    ])
  })

  it('searches by words, substrings, accents and type', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [
      entry('Beatles-Help.mp3'), entry('Canción del mar.flac'), entry('Help manual.pdf'), entry('holiday.jpg'), entry('Beat It.mkv')
    ])])
    const names = async (query: Parameters<DiscoveredFiles['search']>[0]): Promise<string[]> =>
      (await files.search(query)).map(file => file.name).sort()
    assert.deepEqual(await names({ text: 'beat' }), ['Beat It.mkv', 'Beatles-Help.mp3'])
    assert.deepEqual(await names({ text: 'HELP' }), ['Beatles-Help.mp3', 'Help manual.pdf'])
    assert.deepEqual(await names({ text: 'cancion' }), ['Canción del mar.flac'])
    assert.deepEqual(await names({ text: 'CANCIÓN MAR' }), ['Canción del mar.flac'])
    assert.deepEqual(await names({ text: 'help', type: 'music' }), ['Beatles-Help.mp3'])
    assert.deepEqual(await names({ text: 'help', type: '.pdf' }), ['Help manual.pdf'])
    assert.deepEqual(await names({ type: 'music' }), ['Beatles-Help.mp3', 'Canción del mar.flac'])
    assert.deepEqual(await names({ type: 'image' }), ['holiday.jpg'])
    assert.deepEqual(await names({ text: 'beat nothing' }), [])
    assert.equal((await files.search({}, { limit: 2 })).length, 2)
    await assert.rejects(files.search({ type: '../../x' }), { name: 'InvalidTypeFilterError' })
  })

  it('lists in pages and resolves id prefixes and exact names', async () => {
    const files = await open()
    const all = Array.from({ length: 30 }, (_, index) => entry(`file ${index}.txt`))
    await files.ingest([record(ALICE, all)])
    const first = await files.list({ limit: 10 })
    const second = await files.list({ limit: 10, offset: 10 })
    assert.deepEqual(first.map(file => file.name), all.slice(0, 10).map(file => file.name))
    assert.deepEqual(second.map(file => file.name), all.slice(10, 20).map(file => file.name))

    const target = all[7]
    const unique = (await Promise.all([4, 6, 8, 12].map(async length => files.byIdPrefix(target.id.slice(0, length)))))
      .find(found => found.length === 1)
    assert.equal(unique?.[0].id, target.id)
    assert.deepEqual((await files.byIdPrefix(target.id.toUpperCase())).map(file => file.id), [target.id])
    const byFirstHexDigit = await files.byIdPrefix(target.id[0], { limit: 100 })
    assert.ok(byFirstHexDigit.every(file => file.id.startsWith(target.id[0])))
    assert.ok(byFirstHexDigit.some(file => file.id === target.id))
    assert.deepEqual(await files.byIdPrefix('not hex'), [])

    assert.deepEqual((await files.byName('FILE 7.TXT')).map(file => file.id), [target.id])
    assert.deepEqual(await files.byName('file 7'), [])
  })

  it('ages out providers not seen for the configured time, then files with none left', async () => {
    const files = await open({ providerMaxAgeMs: HOUR })
    const both = entry('both.txt')
    const onlyAlice = entry('alice.txt')
    await files.ingest([record(ALICE, [both, onlyAlice])], 0)
    await files.ingest([record(BOB, [both])], 2 * HOUR)
    assert.equal(await files.ageOut(2.5 * HOUR), 1)
    assert.equal(await files.get(onlyAlice.id), undefined)
    assert.deepEqual((await files.get(both.id))?.providers.map(provider => provider.peerId), [BOB])
    assert.deepEqual(await files.search({ text: 'alice' }), [])
    assert.equal(files.size, 1)
    const reopened = await open({ providerMaxAgeMs: HOUR })
    assert.equal(reopened.size, 1)
  })

  it('keeps everything across a reopen of the database', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('Canción.ogg'), entry('song.mp3')]), record(BOB, [entry('song.mp3')])], 5000)
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id)
    const before = (await files.list()).sort(byId)
    await store.close()
    store = new Store(location)
    await store.open()
    const reopened = await open()
    assert.deepEqual((await reopened.list()).sort(byId), before)
    assert.deepEqual((await reopened.search({ text: 'cancion' })).map(file => file.name), ['Canción.ogg'])
  })

  it('persists concurrent ingests of the same files in the order they changed them', async () => {
    // Several segments each (10,000 files a segment), so each ingest waits for LevelDB in between.
    const many = Array.from({ length: 35_000 }, (_, index) => entry(`shared file ${index}.txt`, index))
    const files = await open()
    await Promise.all([
      files.ingest([record(ALICE, many)], 1000),
      files.ingest([record(BOB, many)], 2000),
      files.ingest([record(ALICE, many.slice(0, 15_000))], 3000)
    ])
    const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id)
    const before = (await files.list({ limit: 40_000 })).sort(byId)
    assert.deepEqual(before[0].providers.map(provider => [provider.peerId, provider.lastSeen]).sort(), [[ALICE, 3000], [BOB, 2000]])
    await store.close()
    store = new Store(location)
    await store.open()
    // Rebuilt from the log alone: its last entry for each file must be the state held in memory.
    const reopened = await open()
    assert.deepEqual((await reopened.list({ limit: 40_000 })).sort(byId), before)
  })

  it('bounds hostile records: long names, control characters, junk entries, huge file lists', async () => {
    const files = await open({ maxFilesPerProvider: 1000, maxAddressesPerProvider: 2 })
    const longName = `${'x'.repeat(10_000)}.mp3`
    const hostile: SharedFileEntry[] = [
      { id: idOf('long'), name: longName, size: 1, type: 'music' },
      { id: idOf('control'), name: 'bad\u0000na\u0007me\u202e3pm.exe', size: 1, type: 'other' },
      { id: idOf('dots'), name: '../../etc/passwd', size: 1, type: 'other' },
      { id: 'NOT-A-CONTENT-ID', name: 'junk id', size: 1, type: 'other' },
      { id: idOf('negative'), name: 'negative size', size: -1, type: 'other' },
      { id: idOf('empty'), name: '\u0000\u0001', size: 1, type: 'other' },
      { id: idOf('not a string'), name: 42 as unknown as string, size: 1, type: 'other' }
    ]
    const addresses = Array.from({ length: 50 }, (_, index) => `/ip4/127.0.0.1/tcp/${index}`).concat(['bad\naddress'])
    assert.deepEqual(await files.ingest([record(ALICE, hostile, addresses), record('bad peer id!', [entry('x.txt')])]), { files: 3 })

    const long = await files.get(idOf('long'))
    assert.equal(long?.name.length, 255)
    assert.ok(long?.name.endsWith('.mp3'))
    assert.equal(long?.type, 'music')
    assert.equal((await files.get(idOf('control')))?.name, 'badname3pm.exe')
    assert.equal((await files.get(idOf('dots')))?.name, '../../etc/passwd', 'a display name only')
    assert.deepEqual(long?.providers[0].addresses, ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/1'])
  })

  it('caps one provider at maxFilesPerProvider even when it sends 1,000,000 files', async () => {
    const files = await open()
    const million: SharedFileEntry[] = Array.from({ length: 1_000_000 }, (_, index) => ({
      id: index.toString(16).padStart(64, '0'), name: `fake ${index}.bin`, size: index, type: 'other'
    }))
    assert.deepEqual(await files.ingest([record(ALICE, million)]), { files: 100_000 })
    assert.equal(files.size, 100_000)
    assert.equal((await files.search({ text: 'fake 99999' })).length, 1)
    assert.equal((await files.search({ text: 'fake 100000' })).length, 0)
  })
})
