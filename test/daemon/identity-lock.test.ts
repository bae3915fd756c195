import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { identityLockDir, lockIdentity } from '../../src/daemon/identity-lock.ts'
import type { ChildProcess } from 'node:child_process'

const PEER = '12D3KooWTestPeerIdForTheLock'

describe('the identity lock', () => {
  let dir: string
  let stateA: string
  let stateB: string
  let fakeDaemon: ChildProcess

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerit-lock-'))
    stateA = await mkdtemp(join(dir, 'a-'))
    stateB = await mkdtemp(join(dir, 'b-'))
    // A live process whose command line has the word "daemon", as a PeerIT daemon's does.
    fakeDaemon = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'daemon'], { stdio: 'ignore' })
    await new Promise(resolve => fakeDaemon.once('spawn', resolve))
  })

  after(async () => {
    fakeDaemon.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('is taken in a private folder and released by its holder only', async () => {
    const lock = await lockIdentity(PEER, stateA, { dir })
    assert.equal(await readFile(lock.path, 'utf8'), `${process.pid}\n${stateA}\n`)
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    await lock.release()
    await assert.rejects(stat(lock.path), { code: 'ENOENT' })
  })

  it('a lock left by a dead process, or by a live process that is not a daemon, is taken over', async () => {
    const path = join(dir, `${PEER}.lock`)
    for (const stalePid of [2 ** 22 + 12345, process.ppid]) {
      await writeFile(path, `${stalePid}\n${stateB}\n`)
      const lock = await lockIdentity(PEER, stateA, { dir })
      assert.match(await readFile(path, 'utf8'), new RegExp(`^${process.pid}\n`))
      await lock.release()
    }
    await writeFile(path, 'garbage')
    await (await lockIdentity(PEER, stateA, { dir })).release()
  })

  it('a live daemon holding it for another folder is refused with the file to delete', async () => {
    const path = join(dir, `${PEER}.lock`)
    await writeFile(path, `${fakeDaemon.pid}\n${stateB}\n`)
    await assert.rejects(lockIdentity(PEER, stateA, { dir }), (err: any) => {
      assert.equal(err.name, 'IdentityInUseError')
      assert.equal(err.code, 'ERR_IDENTITY_IN_USE')
      assert.ok(err.message.includes(join(stateA, 'identity.key')), err.message)
      assert.ok(err.message.includes(stateB), err.message)
      return true
    })
    await assert.rejects(lockIdentity(PEER, stateB, { dir }), { name: 'AlreadyRunningError' })
    assert.equal(await readFile(path, 'utf8'), `${fakeDaemon.pid}\n${stateB}\n`, 'the holder keeps its lock')
    await rm(path)
  })

  it('lives in $XDG_RUNTIME_DIR/peerit when there is one', () => {
    assert.equal(identityLockDir({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/peerit')
    assert.match(identityLockDir({}), /peerit-\d+$/)
  })
})
