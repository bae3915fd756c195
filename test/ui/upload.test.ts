import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { sendError, sendJson } from '../../src/ui/respond.ts'
import { receiveUpload, uploadName } from '../../src/ui/upload.ts'
import { httpRequest } from '../fixtures/ui.ts'
import type { HttpError } from '../../src/ui/respond.ts'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

describe('uploadName', () => {
  it('refuses folders, hidden names and empty names; keeps plain names', () => {
    for (const bad of ['../../x', '..', '.', '.peerit/identity.key', 'a/b', 'a\\b', '.bashrc', '', '   ', 'x\u0000y', null]) {
      assert.throws(() => uploadName(bad), (err: any) => err.status === 400 && err.code === 'ERR_BAD_NAME', String(bad))
    }
    assert.equal(uploadName('holiday photo.jpg'), 'holiday photo.jpg')
    assert.equal(uploadName('Ünïcode ♫.mp3'), 'Ünïcode ♫.mp3')
  })

  it('strips control and bidi characters and bounds the length', () => {
    assert.equal(uploadName('evil\u202Egpj.exe'), 'evilgpj.exe')
    assert.ok(Buffer.byteLength(uploadName(`${'x'.repeat(1000)}.txt`)) <= 200)
  })
})

/** A real HTTP server whose one route is receiveUpload into a temp folder, with small limits. */
describe('receiveUpload', () => {
  let folder: string
  let server: Server
  let port: number

  before(async () => {
    folder = await mkdtemp(join(tmpdir(), 'peerit-upload-'))
    server = createServer((request, response) => {
      receiveUpload(request, folder, 'file.bin', { maxBytes: 1024, idleTimeoutMs: 300 })
        .then(path => { sendJson(response, 200, { path }) }, (err: HttpError) => {
          response.shouldKeepAlive = false
          sendError(response, err.status, err.code, err.message)
        })
    })
    await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
    port = (server.address() as AddressInfo).port
  })

  after(async () => {
    server.close()
    await rm(folder, { recursive: true, force: true })
  })

  it('writes the body under its name, then the next one beside it', async () => {
    const first = await httpRequest(port, '/', { method: 'POST', body: 'one' })
    assert.equal(first.json.path, join(folder, 'file.bin'))
    const second = await httpRequest(port, '/', { method: 'POST', body: 'two' })
    assert.equal(second.json.path, join(folder, 'file (1).bin'))
    assert.equal(await readFile(join(folder, 'file.bin'), 'utf8'), 'one')
  })

  it('refuses a declared size over the limit before reading, and leaves nothing', async () => {
    const before = await readdir(folder)
    const answer = await httpRequest(port, '/', { method: 'POST', headers: { 'Content-Length': '1025' }, stall: true })
    assert.equal(answer.status, 413)
    assert.deepEqual(await readdir(folder), before)
  })

  it('cuts off a body that stops sending, and removes the temporary file', async () => {
    const before = await readdir(folder)
    const answer = await httpRequest(port, '/', { method: 'POST', headers: { 'Content-Length': '1000' }, body: 'x'.repeat(10), stall: true })
    assert.equal(answer.status, 408)
    assert.deepEqual(await readdir(folder), before)
  })
})
