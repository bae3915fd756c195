import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DiscoveredFiles } from '../../src/discovered-files.ts'
import { Store } from '../../src/store.ts'
import { eventually } from '../fixtures/poll.ts'
import { silentLogger, tempFolder } from '../fixtures/search.ts'
import type { ProviderRecord, SharedFileEntry } from '../../protocols/fetch/index.ts'
import type { DiscoveredFile, DiscoveredFileRecord, DiscoveredFilesInit } from '../../src/discovered-files.ts'

const idOf = (text: string): string => createHash('sha256').update(text).digest('hex')
const entry = (name: string, size = 10): SharedFileEntry => ({ id: idOf(name), name, size, type: 'other' })
const record = (peerId: string, files: SharedFileEntry[]): ProviderRecord =>
  ({ peerId, addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`], files, hops: 1 })
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'
const HOUR = 60 * 60 * 1000
const NAMES = ['Beatles - Help.mp3', 'Canción del mar.flac', 'Help manual.pdf', 'holiday.jpg', 'Beat It.mkv', 'IMG_20100505_0001.jpg']
const writer = fileURLToPath(new URL('../fixtures/snapshot-writer.ts', import.meta.url))

/** Everything a store shows, in content id order: what a snapshot must bring back exactly. */
async function contentsOf (files: DiscoveredFiles): Promise<DiscoveredFile[]> {
  return (await files.list({ limit: 1_000_000 })).sort((a, b) => a.id.localeCompare(b.id))
}

describe('DiscoveredFiles snapshot', () => {
  let folder: { path: string, remove: () => Promise<void> }
  let store: Store
  let snapshotPath: string
  const location = (): string => join(folder.path, 'db')
  const open = async (init: Partial<DiscoveredFilesInit> = {}): Promise<DiscoveredFiles> => {
    const files = new DiscoveredFiles({ files: store.section<DiscoveredFileRecord>('discoveredFiles'), logger: silentLogger(), snapshotPath, ...init })
    await files.open()
    return files
  }
  /** Closes and reopens LevelDB, as a restart does. */
  const restart = async (): Promise<void> => {
    await store.close()
    store = new Store(location())
    await store.open()
  }
  /** What the records alone say, read by an index without a snapshot (which also retires the token). */
  const fromRecords = async (): Promise<DiscoveredFile[]> => contentsOf(await open({ snapshotPath: undefined }))

  before(async () => {
    folder = await tempFolder('snapshot')
    snapshotPath = join(folder.path, 'discovered.snapshot')
    store = new Store(location())
    await store.open()
  })
  beforeEach(async () => {
    await store.section('discoveredFiles').clear()
    await rm(snapshotPath, { force: true })
  })
  after(async () => {
    await store.close()
    await folder.remove()
  })

  it('reopens from the snapshot with the same files, providers, search and order', async () => {
    const files = await open()
    await files.ingest([record(ALICE, NAMES.map(name => entry(name))), record(BOB, [entry(NAMES[0])])], 1000)
    const listed = await files.list()
    await files.close()
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'snapshot')
    assert.deepEqual(await reopened.list(), listed, 'discovery order survives a snapshot')
    const names = async (query: Parameters<DiscoveredFiles['search']>[0]): Promise<string[]> =>
      (await reopened.search(query)).map(file => file.name).sort()
    assert.deepEqual(await names({ text: 'beat' }), ['Beat It.mkv', 'Beatles - Help.mp3'])
    assert.deepEqual(await names({ text: 'CANCIÓN' }), ['Canción del mar.flac'])
    assert.deepEqual(await names({ text: 'help', type: 'music' }), ['Beatles - Help.mp3'])
    assert.deepEqual(await names({ text: '0505' }), ['IMG_20100505_0001.jpg'])
    assert.deepEqual((await reopened.byName('holiday.JPG')).map(file => file.name), ['holiday.jpg'])
    assert.deepEqual((await reopened.get(idOf(NAMES[0])))?.providers.map(provider => provider.peerId), [ALICE, BOB])
  })

  it('keeps indexing after a snapshot load: new words, known words, expiry', async () => {
    const files = await open({ providerMaxAgeMs: HOUR })
    await files.ingest([record(ALICE, [entry('Beatles - Help.mp3'), entry('old report.pdf')])], 0)
    await files.close()
    await restart()
    const reopened = await open({ providerMaxAgeMs: HOUR })
    assert.equal(reopened.openedFrom, 'snapshot')
    await reopened.ingest([record(BOB, [entry('Beatles - Yesterday.mp3'), entry('zebra crossing.jpg'), entry('Beatles - Help.mp3')])], 2 * HOUR)
    assert.deepEqual((await reopened.search({ text: 'beatles' })).map(file => file.name), ['Beatles - Help.mp3', 'Beatles - Yesterday.mp3'])
    assert.deepEqual((await reopened.search({ text: 'zebra' })).map(file => file.name), ['zebra crossing.jpg'])
    assert.equal(await reopened.ageOut(2.5 * HOUR), 1, 'only Alice had the old report')
    assert.deepEqual(await reopened.search({ text: 'report' }), [])
    // Scans (a type alone; a letter in most names) skip the aged-out file too.
    assert.deepEqual(await reopened.search({ type: 'document' }), [])
    assert.deepEqual(await reopened.search({ type: 'pdf' }), [])
    assert.deepEqual((await reopened.search({ text: 'r' })).map(file => file.name).sort(), ['Beatles - Yesterday.mp3', 'zebra crossing.jpg'])
    assert.deepEqual((await reopened.search({ type: 'jpg' })).map(file => file.name), ['zebra crossing.jpg'])
    assert.deepEqual((await reopened.get(idOf('Beatles - Help.mp3')))?.providers.map(provider => provider.peerId), [BOB])
    const expected = await contentsOf(reopened)
    await reopened.close()
    await restart()
    const again = await open({ providerMaxAgeMs: HOUR })
    assert.equal(again.openedFrom, 'snapshot')
    assert.deepEqual(await contentsOf(again), expected)
    assert.deepEqual(await fromRecords(), expected, 'the records agree with the snapshot')
  })

  it('reopens from the snapshot and the log after it when files changed since (a crash before close)', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('first.txt')])], 1000)
    assert.equal(await files.saveSnapshot(), true)
    await files.ingest([record(ALICE, [entry('second.txt')])], 2000)
    // No close(): the process died here.
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'snapshot')
    assert.deepEqual((await reopened.list()).map(file => file.name), ['first.txt', 'second.txt'])
    assert.deepEqual(await contentsOf(reopened), await fromRecords())
  })

  it('a snapshot the index changed under while it was written gets no token', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('before.txt')])], 1000)
    const saving = files.saveSnapshot()
    // The ingest changes the index before the snapshot file is on disk.
    await files.ingest([record(BOB, [entry('during.txt')])], 2000)
    assert.equal(await saving, false)
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'records')
    assert.deepEqual((await reopened.list()).map(file => file.name).sort(), ['before.txt', 'during.txt'])
    assert.equal(await reopened.saveSnapshot(), true)
  })

  it('rebuilds from the records when the snapshot is damaged, foreign or missing', async () => {
    const files = await open()
    await files.ingest([record(ALICE, NAMES.map(name => entry(name)))], 1000)
    await files.close()
    const expected = await contentsOf(files)
    const damages: Array<[string, (good: Buffer) => Promise<void>]> = [
      ['truncated inside a block', async (good) => { await truncate(snapshotPath, good.byteLength - 7) }],
      ['truncated inside the header', async () => { await truncate(snapshotPath, 30) }],
      ['a flipped byte in the last block', async (good) => {
        good[good.byteLength - 1] ^= 0xff
        await writeFile(snapshotPath, good)
      }],
      ['another version', async (good) => {
        good.writeUInt32LE(99, 8)
        await writeFile(snapshotPath, good)
      }],
      ['not a snapshot at all', async () => { await writeFile(snapshotPath, 'hello') }],
      ['gone', async () => { await rm(snapshotPath) }]
    ]
    for (const [damage, apply] of damages) {
      // The latest snapshot, whose token LevelDB holds: it would load if left alone.
      await apply(await readFile(snapshotPath))
      await restart()
      const reopened = await open()
      assert.equal(reopened.openedFrom, 'records', damage)
      assert.deepEqual(await contentsOf(reopened), expected, damage)
      // The rebuild retired the old token; a new snapshot takes over again.
      await reopened.close()
      await restart()
      assert.equal((await open()).openedFrom, 'snapshot', `a new snapshot after "${damage}"`)
    }
  })

  it('never loads a snapshot that a reopen without one left behind', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('kept.txt')])])
    await files.close()
    await restart()
    // Run without a snapshot path, change the records: the old snapshot must not come back.
    const plain = await open({ snapshotPath: undefined })
    await plain.ingest([record(BOB, [entry('added later.txt')])])
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'records')
    assert.deepEqual((await reopened.list()).map(file => file.name).sort(), ['added later.txt', 'kept.txt'])
  })

  it('a kill -9 while snapshots are written loses and invents nothing', async (t) => {
    await store.close()
    for (let round = 0; round < 3; round++) {
      await rm(location(), { recursive: true, force: true })
      await rm(snapshotPath, { force: true })
      // The writer ingests batches and saves a snapshot after each, forever; it is killed mid-way.
      const child = spawn(process.execPath, [writer, location(), snapshotPath], { stdio: ['ignore', 'pipe', 'inherit'] })
      t.after(() => { child.kill('SIGKILL') })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
      // Kill at a different point each round: twice while a snapshot file is half written, once just after a save.
      const midWrite = round < 2
      await eventually(() => output.split('\n').length > 3 + round &&
        (midWrite ? existsSync(`${snapshotPath}.tmp`) : output.endsWith('saved true\n')), { timeoutMs: 60_000, intervalMs: 1, what: 'the moment to kill' })
      child.kill('SIGKILL')
      await new Promise(resolve => child.once('exit', resolve))
      const halfWritten = existsSync(`${snapshotPath}.tmp`)
      store = new Store(location())
      await store.open()
      const reopened = await open()
      const viaSnapshot = await contentsOf(reopened)
      const records = await fromRecords()
      t.diagnostic(`round ${round}: opened from the ${reopened.openedFrom}, half-written snapshot left: ${halfWritten}`)
      assert.deepEqual(viaSnapshot, records, `round ${round}: opened from the ${reopened.openedFrom}`)
      assert.ok(records.length >= 1000, `round ${round}: the records hold the batches written (${records.length})`)
      await store.close()
    }
    store = new Store(location())
    await store.open()
    assert.ok((await stat(location())).isDirectory())
  })
})
