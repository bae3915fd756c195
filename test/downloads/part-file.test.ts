import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { DiskFullError, DownloadWriteError, toWriteError } from '../../src/downloads/errors.ts'
import { PartFile, publish } from '../../src/downloads/part-file.ts'

describe('PartFile', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerit-part-'))
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is created at the full size and written at piece offsets', async () => {
    const part = await PartFile.create(dir, 'a.bin', 10)
    await part.write([Buffer.from('xyz')], 7)
    await part.write([Buffer.from('a'), Buffer.from('b')], 0)
    await part.sync()
    await part.close()
    assert.equal(part.path, join(dir, 'a.bin.part'))
    assert.deepEqual(await readFile(part.path), Buffer.from('ab\0\0\0\0\0xyz'))
  })

  it('writes the rest of a piece when the kernel writes only part of it', async () => {
    const part = await PartFile.create(dir, 'short-writes.bin', 12)
    // A writev that takes half of its first buffer at most: every split point is crossed.
    const handle = (part as unknown as { handle: { writev: (buffers: Uint8Array[], position: number) => Promise<unknown> } }).handle
    const writev = handle.writev.bind(handle)
    let calls = 0
    handle.writev = async (buffers, position) => {
      calls++
      return writev([buffers[0].subarray(0, Math.ceil(buffers[0].byteLength / 2))], position)
    }
    await part.write([Buffer.from('abcd'), Buffer.from('e'), Buffer.from('fghij')], 1)
    await part.close()
    assert.deepEqual(await readFile(part.path), Buffer.from('\0abcdefghij\0'))
    assert.ok(calls > 3, `${calls} writes`)
  })

  it('never takes the name of an existing part file', async () => {
    await writeFile(join(dir, 'b.bin.part'), 'not ours')
    const part = await PartFile.create(dir, 'b.bin', 4)
    await part.close()
    assert.equal(part.path, join(dir, 'b (1).bin.part'))
    assert.equal(await readFile(join(dir, 'b.bin.part'), 'utf8'), 'not ours')
  })

  it('is not reopened when it is gone or its size changed', async () => {
    const part = await PartFile.create(dir, 'c.bin', 8)
    await part.close()
    assert.equal(await PartFile.reopen(part.path, 9), undefined)
    assert.equal(await PartFile.reopen(join(dir, 'missing.part'), 8), undefined)
    const again = await PartFile.reopen(part.path, 8)
    assert.ok(again != null)
    await again.close()
  })
})

describe('publish', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerit-publish-'))
  })

  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('takes the final name, then name (1), name (2) … and never replaces a file', async () => {
    const candidates: string[] = []
    const paths: string[] = []
    for (const content of ['one', 'two', 'three']) {
      const part = join(dir, `${content}.part`)
      await writeFile(part, content)
      paths.push(await publish(part, dir, 'song.mp3', async path => { candidates.push(path) }))
    }
    assert.deepEqual(paths, ['song.mp3', 'song (1).mp3', 'song (2).mp3'].map(name => join(dir, name)))
    assert.deepEqual(await Promise.all(paths.map(async path => readFile(path, 'utf8'))), ['one', 'two', 'three'])
    assert.equal(candidates.length, 1 + 2 + 3, 'each candidate is announced before it is tried')
    assert.deepEqual((await readdir(dir)).filter(name => name.endsWith('.part')), [], 'the part files are gone')
    assert.equal((await stat(paths[0])).nlink, 1)
  })
})

describe('toWriteError', () => {
  it('says the disk is full for ENOSPC and EDQUOT, and names the path otherwise', () => {
    const full = toWriteError(Object.assign(new Error('write'), { code: 'ENOSPC' }), '/d/x.part')
    assert.ok(full instanceof DiskFullError)
    assert.equal(full.name, 'DiskFullError')
    assert.equal((full as DiskFullError).code, 'ERR_DISK_FULL')
    assert.ok(toWriteError(Object.assign(new Error('quota'), { code: 'EDQUOT' }), '/d/x.part') instanceof DiskFullError)
    const other = toWriteError(Object.assign(new Error('i/o error'), { code: 'EIO' }), '/d/x.part')
    assert.ok(other instanceof DownloadWriteError)
    assert.match(other.message, /\/d\/x\.part: i\/o error/)
  })
})
