import assert from 'node:assert/strict'
import { appendFile, mkdir, readFile, symlink, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { contentIdOf, hashFile } from '../protocols/file/manifest.ts'
import { SharedIndex } from '../src/shared-index.ts'
import { waitFor } from './fixtures/poll.ts'
import { silentLogger, tempFolder, tempStore } from './fixtures/search.ts'
import type { SharedFileRecord } from '../src/shared-index.ts'
import type { Store } from '../src/store.ts'

describe('SharedIndex', () => {
  let store: Store
  let shared: string
  let outside: string
  const cleanups: Array<() => Promise<void>> = []
  let counter = 0
  const newIndex = async (): Promise<SharedIndex> => {
    const index = new SharedIndex({
      section: store.section<SharedFileRecord>('sharedIndex'),
      sharedDir: shared,
      logger: silentLogger(),
      watchDebounceMs: 50
    })
    cleanups.push(async () => { await index.close() })
    await index.open()
    return index
  }

  before(async () => {
    const db = await tempStore('shared-index')
    store = db.store
    cleanups.push(db.remove)
  })

  // Each test gets its own folders and a cleared section.
  const freshFolders = async (): Promise<void> => {
    const folder = await tempFolder(`shared-${counter++}`)
    cleanups.push(folder.remove)
    shared = join(folder.path, 'shared')
    outside = join(folder.path, 'outside')
    await mkdir(shared)
    await mkdir(outside)
    await store.section('sharedIndex').clear()
  }

  after(async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup()
    }
  })

  it('counts added, updated and removed files', async () => {
    await freshFolders()
    await writeFile(join(shared, 'a.txt'), 'alpha')
    await mkdir(join(shared, 'sub'))
    await writeFile(join(shared, 'sub', 'b.mp3'), 'beta')
    const index = await newIndex()
    assert.deepEqual(await index.sync(), { added: 2, updated: 0, removed: 0, total: 2 })
    assert.deepEqual(index.list().map(file => file.relativePath).sort(), ['a.txt', 'sub/b.mp3'])

    await writeFile(join(shared, 'a.txt'), 'alpha, longer now')
    await unlink(join(shared, 'sub', 'b.mp3'))
    await writeFile(join(shared, 'c.pdf'), 'gamma')
    assert.deepEqual(await index.sync(), { added: 1, updated: 1, removed: 1, total: 2 })
    assert.deepEqual(await index.sync(), { added: 0, updated: 0, removed: 0, total: 2 })
    const a = index.list().find(file => file.name === 'a.txt')
    assert.equal(a?.id, (await hashFile(join(shared, 'a.txt'))).contentId)
    assert.equal(a?.size, 17)
    assert.equal(index.size, 2)
  })

  it('does not hash a file again when its size and mtime are unchanged', async () => {
    await freshFolders()
    const path = join(shared, 'same.txt')
    // A whole-second mtime survives utimes() exactly.
    const mtime = 1_700_000_000
    await writeFile(path, 'first')
    await utimes(path, mtime, mtime)
    const index = await newIndex()
    await index.sync()
    const firstId = index.list()[0].id
    // Same length, same mtime, other bytes: only a re-hash could notice.
    await writeFile(path, 'other')
    await utimes(path, mtime, mtime)
    assert.deepEqual(await index.sync(), { added: 0, updated: 0, removed: 0, total: 1 })
    assert.equal(index.list()[0].id, firstId)
    assert.notEqual(firstId, (await hashFile(path)).contentId)
  })

  it('never indexes symbolic links, files outside, hidden files or downloads in progress', async () => {
    await freshFolders()
    await writeFile(join(outside, 'secret.txt'), 'outside')
    await mkdir(join(outside, 'dir'))
    await writeFile(join(outside, 'dir', 'deep.txt'), 'outside too')
    await writeFile(join(shared, 'real.txt'), 'inside')
    await symlink(join(outside, 'secret.txt'), join(shared, 'link-to-file.txt'))
    await symlink(join(outside, 'dir'), join(shared, 'link-to-dir'))
    await symlink(join(shared, 'real.txt'), join(shared, 'link-inside.txt'))
    await mkdir(join(shared, '.peerit'))
    await writeFile(join(shared, '.peerit', 'state.txt'), 'state')
    await writeFile(join(shared, '.hidden'), 'hidden')
    await writeFile(join(shared, 'movie.mkv.part'), 'half a download')
    const index = await newIndex()
    assert.deepEqual(await index.sync(), { added: 1, updated: 0, removed: 0, total: 1 })
    assert.deepEqual(index.list().map(file => file.relativePath), ['real.txt'])
    const secretId = (await hashFile(join(outside, 'secret.txt'))).contentId
    assert.equal(index.get(secretId), undefined)
  })

  it('share() copies into the shared folder, renames on collision and indexes', async () => {
    await freshFolders()
    const source = join(outside, 'Song.mp3')
    await writeFile(source, 'la la la')
    const index = await newIndex()
    const first = await index.share(source)
    const second = await index.share(source)
    await writeFile(join(outside, 'Song.mp3'), 'other tune')
    const third = await index.share(source)
    assert.deepEqual([first.name, second.name, third.name], ['Song.mp3', 'Song (1).mp3', 'Song (2).mp3'])
    assert.equal(first.id, second.id)
    assert.notEqual(first.id, third.id)
    assert.equal(first.type, 'music')
    assert.equal(await readFile(join(shared, 'Song (2).mp3'), 'utf8'), 'other tune')
    assert.equal(index.size, 3)
    // Nothing hidden is left behind, and a sync agrees with what share() indexed.
    assert.deepEqual(await index.sync(), { added: 0, updated: 0, removed: 0, total: 3 })
  })

  it('share() of a file already in the shared folder only indexes it', async () => {
    await freshFolders()
    await mkdir(join(shared, 'docs'))
    await writeFile(join(shared, 'docs', 'notes.txt'), 'notes')
    const index = await newIndex()
    const file = await index.share(join(shared, 'docs', 'notes.txt'))
    assert.equal(file.relativePath, 'docs/notes.txt')
    assert.equal(index.size, 1)
  })

  it('share() refuses what is not a regular file', async () => {
    await freshFolders()
    const index = await newIndex()
    await assert.rejects(index.share(outside), { name: 'NotAFileError', code: 'ERR_NOT_A_FILE' })
    await assert.rejects(index.share(join(outside, 'missing')), { name: 'MissingFileError', code: 'ERR_NO_SUCH_FILE', message: /does not exist/ })
  })

  it('get() gives the manifest bytes of an id and match() answers queries', async () => {
    await freshFolders()
    await writeFile(join(shared, 'Beatles - Help.mp3'), 'help')
    await writeFile(join(shared, 'Canción.ogg'), 'cancion')
    await writeFile(join(shared, 'report.pdf'), 'pdf')
    await writeFile(join(shared, 'copy of report.pdf'), 'pdf')
    const index = await newIndex()
    await index.sync()
    const help = index.list().find(file => file.name === 'Beatles - Help.mp3')
    assert.ok(help !== undefined)
    const found = index.get(help.id)
    assert.equal(found?.path, join(shared, 'Beatles - Help.mp3'))
    assert.equal(contentIdOf(found?.manifestBytes ?? new Uint8Array()), help.id)
    assert.equal(index.get('0'.repeat(64)), undefined)

    assert.deepEqual(index.match({ words: ['beat'] }).map(entry => entry.name), ['Beatles - Help.mp3'])
    assert.deepEqual(index.match({ words: ['cancion'] }).map(entry => entry.type), ['music'])
    assert.equal(index.match({ type: 'document' }).length, 1, 'one entry per content id')
    assert.equal(index.match().length, 3)
    assert.deepEqual(index.match({ words: ['help'] })[0], { id: help.id, name: help.name, size: 4, type: 'music' })
  })

  it('of two copies of the same bytes, one whose name sanitises to nothing does not hide the other', async () => {
    await freshFolders()
    await writeFile(join(shared, '\u202e'), 'same bytes')
    const index = await newIndex()
    await index.sync()
    // the unusable copy is indexed first, so it is the one a naive pick takes
    assert.equal(index.match().length, 0)
    await writeFile(join(shared, 'a.txt'), 'same bytes')
    await writeFile(join(shared, 'notes.txt'), 'same bytes')
    await index.sync()
    const entries = index.match()
    assert.equal(entries.length, 1, 'one entry per content id')
    assert.notEqual(entries[0].name, '\u202e')
    assert.deepEqual(index.match({ words: ['notes'] }).map(entry => entry.name), ['notes.txt'], 'the copy that matches is announced')
  })

  it('keeps the index across a reopen', async () => {
    await freshFolders()
    await writeFile(join(shared, 'kept.txt'), 'kept')
    const index = await newIndex()
    await index.sync()
    await index.close()
    const reopened = await newIndex()
    assert.deepEqual(reopened.list(), index.list())
    assert.deepEqual(await reopened.sync(), { added: 0, updated: 0, removed: 0, total: 1 })
  })

  it('concurrent syncs share one run', async () => {
    await freshFolders()
    await writeFile(join(shared, 'one.txt'), 'one')
    const index = await newIndex()
    const [first, second] = await Promise.all([index.sync(), index.sync()])
    assert.equal(first, second)
    assert.equal(first.added, 1)
  })

  it('drops a file that changed since it was indexed', async () => {
    await freshFolders()
    const path = join(shared, 'log.txt')
    await writeFile(path, 'start')
    const index = await newIndex()
    await index.sync()
    await appendFile(path, ' and more')
    const result = await index.sync()
    assert.equal(result.updated, 1)
    assert.equal(index.list()[0].id, (await hashFile(path)).contentId)
  })

  it('watch() follows changes of the shared folder', async () => {
    await freshFolders()
    const index = await newIndex()
    index.watch()
    await mkdir(join(shared, 'new'))
    await writeFile(join(shared, 'new', 'arrived.txt'), 'hello')
    await waitFor(() => index.list().some(file => file.relativePath === 'new/arrived.txt'))
    await unlink(join(shared, 'new', 'arrived.txt'))
    await waitFor(() => index.size === 0)
  })
})
