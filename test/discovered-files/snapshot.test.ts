import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, beforeEach, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DiscoveredFiles } from '../../src/discovered-files.ts'
import { Store } from '../../src/store.ts'
import { eventually } from '../fixtures/poll.ts'
import { silentLogger, tempFolder } from '../fixtures/search.ts'
import type { ProviderRecord, SharedFileEntry } from '../../protocols/fetch/index.ts'
import type { DiscoveredFile, DiscoveredFileRecord, DiscoveredFilesInit } from '../../src/discovered-files.ts'
import type { Section } from '../../src/store.ts'

const idOf = (text: string): string => createHash('sha256').update(text).digest('hex')
const entry = (name: string, size = 10): SharedFileEntry => ({ id: idOf(name), name, size, type: 'other' })
const record = (peerId: string, files: SharedFileEntry[]): ProviderRecord =>
  ({ peerId, addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${peerId}`], files, hops: 1 })
const ALICE = '12D3KooWAlice'
const BOB = '12D3KooWBob'
const CAROL = '12D3KooWCarol'
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

  it('a crash after ingests, new providers, an age-out and the maxFiles cap reopens from the snapshot and the log with the files a rebuild gives', async () => {
    const init = { providerMaxAgeMs: HOUR, maxFiles: 8 }
    const files = await open(init)
    await files.ingest([record(ALICE, NAMES.map(name => entry(name))), record(BOB, [entry(NAMES[0])])], 0)
    assert.equal(await files.saveSnapshot(), true)
    // After the snapshot: a known file gains a provider, two new files reach the cap, a third is refused.
    await files.ingest([record(BOB, [entry(NAMES[1]), entry('new one.txt'), entry('new two.txt')])], 2 * HOUR)
    await files.ingest([record(CAROL, [entry('over the cap.txt')])], 2 * HOUR)
    // Alice's and Bob's first links age out: files with no one left go, NAMES[1] keeps Bob.
    assert.equal(await files.ageOut(2.5 * HOUR), 5)
    // A removed file comes back (at the end of the order), and a new one fits again.
    await files.ingest([record(ALICE, [entry(NAMES[3])]), record(CAROL, [entry('after the age-out.txt')])], 3 * HOUR)
    const live = await files.list()
    assert.deepEqual(live.map(file => file.name), [NAMES[1], 'new one.txt', 'new two.txt', NAMES[3], 'after the age-out.txt'])
    // No close(): the process died here.
    await restart()
    const reopened = await open(init)
    assert.equal(reopened.openedFrom, 'snapshot')
    assert.deepEqual(await reopened.list(), live, 'the same files, providers and order as before the crash')
    assert.deepEqual((await reopened.search({ text: 'age-out' })).map(file => file.name), ['after the age-out.txt'])
    assert.deepEqual(await reopened.search({ text: 'manual' }), [], 'an aged-out file stays gone')
    assert.deepEqual((await reopened.get(idOf(NAMES[1])))?.providers.map(provider => provider.peerId), [BOB])
    const rebuilt = await open({ ...init, snapshotPath: undefined })
    assert.equal(rebuilt.openedFrom, 'records')
    assert.deepEqual(await rebuilt.list(), live, 'a full rebuild gives the same files in the same order')
  })

  it('a log rewrite after the snapshot: its dropped removals never come back, with or without the snapshot it saves', async () => {
    const bulk = Array.from({ length: 600 }, (_, index) => entry(`bulk ${index}.txt`))
    // The snapshot lives in a folder of its own, so the save after the rewrite can be made to fail.
    const folderOf = join(folder.path, 'snapshots')
    const init = { providerMaxAgeMs: HOUR, snapshotPath: join(folderOf, 'discovered.snapshot') }
    for (const saved of [false, true]) {
      await store.section('discoveredFiles').clear()
      await rm(folderOf, { recursive: true, force: true })
      await mkdir(folderOf)
      const files = await open(init)
      await files.ingest([record(ALICE, [entry('gone soon.txt')]), record(BOB, bulk)], 0)
      await files.ingest([record(BOB, bulk)], 2 * HOUR)
      assert.equal(await files.saveSnapshot(), true)
      assert.equal(await files.ageOut(2.5 * HOUR), 1)
      if (!saved) {
        // A crash after the rewrite, before the snapshot that follows it is on disk.
        await rename(folderOf, `${folderOf}.away`)
      }
      // Each pass appends an entry per file: the log outgrows twice the files and is rewritten.
      for (let pass = 0; pass < 3; pass++) {
        await files.ingest([record(BOB, bulk)], 3 * HOUR)
      }
      if (saved) {
        assert.equal(await files.saveSnapshot(), true)
      } else {
        await assert.rejects(files.saveSnapshot(), { code: 'ENOENT' })
        assert.equal(await store.section('discoveredFiles').get('~snapshot'), undefined, 'the rewrite retired the mark')
        await rename(`${folderOf}.away`, folderOf)
      }
      const expected = await contentsOf(files)
      assert.equal(expected.length, bulk.length)
      await restart()
      const reopened = await open(init)
      assert.equal(reopened.openedFrom, saved ? 'snapshot' : 'records', `saved: ${saved}`)
      assert.deepEqual(await contentsOf(reopened), expected, `saved: ${saved}`)
      assert.deepEqual(await reopened.search({ text: 'gone' }), [])
      assert.deepEqual(await fromRecords(), expected)
    }
  })

  it('rebuilds when the log after the snapshot has a damaged or missing segment, or ends before the snapshot', async () => {
    const raw = (): Section<Buffer> => store.section<Buffer>('discoveredFiles')
    const damages: Array<[string, (after: string[], before: string[]) => Promise<void>]> = [
      ['a damaged segment', async ([first]) => { await raw().put(first, Buffer.from([1, 9, 0, 0, 0, 7]), { valueEncoding: 'buffer' }) }],
      ['a missing segment', async ([first]) => { await raw().del(first) }],
      ['the log ends before the snapshot', async (after, before) => { await raw().batch([...after, before[before.length - 1]].map(key => ({ type: 'del', key }))) }]
    ]
    for (const [damage, apply] of damages) {
      await store.section('discoveredFiles').clear()
      await rm(snapshotPath, { force: true })
      const files = await open()
      await files.ingest([record(ALICE, [entry('in the snapshot.txt'), entry('also in it.txt')])], 1000)
      await files.ingest([record(BOB, [entry('last in the snapshot.txt')])], 1000)
      assert.equal(await files.saveSnapshot(), true)
      const before = await raw().keys({ gte: '~log~', lt: '~log~~' }).all()
      await files.ingest([record(BOB, [entry('after it.txt')])], 2000)
      await files.ingest([record(ALICE, [entry('later still.txt')])], 3000)
      const after = (await raw().keys({ gte: '~log~', lt: '~log~~' }).all()).filter(key => !before.includes(key))
      assert.equal(after.length, 2)
      await apply(after, before)
      await restart()
      const reopened = await open()
      assert.equal(reopened.openedFrom, 'records', damage)
      const found = await contentsOf(reopened)
      assert.deepEqual(found, await fromRecords(), damage)
      assert.ok(!found.some(file => file.name === 'after it.txt'), `${damage}: the lost segment's file is not invented`)
    }
  })

  it('a crash between a snapshot\'s write and its mark costs a rebuild, with every file', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('first.txt')])], 1000)
    assert.equal(await files.saveSnapshot(), true)
    const firstMark = await store.section('discoveredFiles').get('~snapshot')
    await files.ingest([record(BOB, [entry('second.txt')])], 2000)
    assert.equal(await files.saveSnapshot(), true)
    // The new snapshot file is in place, but LevelDB still holds the first one's mark.
    await store.section('discoveredFiles').put('~snapshot', firstMark)
    await files.ingest([record(BOB, [entry('third.txt')])], 3000)
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'records')
    assert.deepEqual((await reopened.list()).map(file => file.name), ['first.txt', 'second.txt', 'third.txt'])
  })

  it('reads an older store\'s bare token (a snapshot of the whole log), and pins its position before writing', async () => {
    const files = await open()
    await files.ingest([record(ALICE, [entry('old store.txt')])], 1000)
    await files.close()
    const section = store.section('discoveredFiles')
    const mark = await section.get('~snapshot') as { token: string }
    await section.put('~snapshot', mark.token)
    await restart()
    const reopened = await open()
    assert.equal(reopened.openedFrom, 'snapshot')
    await reopened.ingest([record(BOB, [entry('after the upgrade.txt')])], 2000)
    // No close(): the bare token must not now vouch for the segment just written.
    await restart()
    const again = await open()
    assert.equal(again.openedFrom, 'snapshot')
    assert.deepEqual((await again.list()).map(file => file.name), ['old store.txt', 'after the upgrade.txt'])
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
