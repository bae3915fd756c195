import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import { PeerDir, PeerNetwork } from '../fixtures/daemons.ts'

/** A user copies a node's folder while its daemon runs (`cp -r`), pid file, identity key and all. */
describe('a copied node folder', () => {
  const network = new PeerNetwork()
  let original: PeerDir
  let copy: PeerDir
  let originalId: string

  before(async () => {
    original = await network.peer()
    const started = await original.start()
    originalId = started.peerId
    copy = new PeerDir(join(original.dir, '..', `${basename(original.dir)}-copy`))
    network.peers.push(copy)
    await promisify(execFile)('cp', ['-r', original.dir, copy.dir])
    assert.equal(Number.parseInt(await readFile(join(copy.stateDir, 'peerit.pid'), 'utf8'), 10), started.pid,
      'the copy holds a pid file naming the live original daemon')
  })

  after(async () => { await network.close() })

  it('is not "already running": the live pid in its pid file serves the other folder', async () => {
    const status = await copy.run(['status', '--json'])
    assert.equal(status.code, 3, status.stderr)
  })

  it('refuses to start with the same identity, and says which file to delete', async () => {
    const result = await copy.run(['start', '--json'])
    assert.equal(result.code, 1, result.stderr)
    assert.equal(result.json.error.code, 'ERR_IDENTITY_IN_USE')
    assert.match(result.json.error.message, new RegExp(originalId))
    assert.ok(result.json.error.message.includes(join(copy.stateDir, 'identity.key')), result.json.error.message)
    assert.equal((await original.json(['status'])).peerId, originalId, 'the original runs on')
  })

  it('starts as a node of its own once its identity.key is deleted', async () => {
    await rm(join(copy.stateDir, 'identity.key'))
    const started = await copy.start()
    assert.notEqual(started.peerId, originalId)
    assert.equal((await copy.json(['status'])).pid, started.pid)
    assert.equal((await original.json(['status'])).peerId, originalId)
  })

  it('after a kill -9 the identity lock is stale and the node starts again', async () => {
    const before = original.pid
    original.kill9()
    const restarted = await original.start()
    assert.notEqual(restarted.pid, before)
    assert.equal(restarted.peerId, originalId)
  })
})
