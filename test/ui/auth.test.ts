import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { cookieValue, MAX_SESSIONS, UiAuth } from '../../src/ui/auth.ts'
import type { IncomingMessage } from 'node:http'

function requestWith (headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage
}

describe('UiAuth', () => {
  const folders: string[] = []
  after(async () => { await Promise.all(folders.map(async f => rm(f, { recursive: true, force: true }))) })

  async function auth (): Promise<{ auth: UiAuth, path: string }> {
    const folder = await mkdtemp(join(tmpdir(), 'peerit-auth-'))
    folders.push(folder)
    const path = join(folder, 'ui-token')
    const created = new UiAuth(path)
    await created.load()
    return { auth: created, path }
  }

  it('creates a 0600 token of 192 bits and reads the same one back', async () => {
    const { auth: first, path } = await auth()
    assert.equal(Buffer.from(first.current(), 'base64url').length, 24)
    assert.equal((await stat(path)).mode & 0o777, 0o600)
    const again = new UiAuth(path)
    await again.load()
    assert.equal(again.current(), first.current())
  })

  it('replaces a token file that holds garbage', async () => {
    const { path } = await auth()
    await writeFile(path, 'short')
    const fresh = new UiAuth(path)
    await fresh.load()
    assert.notEqual(fresh.current(), 'short')
    assert.equal((await readFile(path, 'utf8')).trim(), fresh.current())
  })

  it('accepts the bearer token or a session; rotation ends both', async () => {
    const { auth: a } = await auth()
    const token = a.current()
    const session = a.openSession()
    assert.equal(a.authenticate(requestWith({ authorization: `Bearer ${token}` })), 'bearer')
    assert.equal(a.authenticate(requestWith({ cookie: `other=1; ${a.cookieName}=${session}` })), 'session')
    assert.equal(a.authenticate(requestWith({ authorization: `Bearer ${token}x` })), undefined)
    assert.equal(a.authenticate(requestWith({ authorization: 'Basic abc' })), undefined)
    assert.equal(a.authenticate(requestWith({})), undefined)
    await a.rotate()
    assert.equal(a.authenticate(requestWith({ authorization: `Bearer ${token}` })), undefined)
    assert.equal(a.authenticate(requestWith({ cookie: `${a.cookieName}=${session}` })), undefined)
  })

  it(`keeps at most ${MAX_SESSIONS} sessions, forgetting the oldest`, async () => {
    const { auth: a } = await auth()
    const first = a.openSession()
    for (let i = 0; i < MAX_SESSIONS; i++) {
      a.openSession()
    }
    assert.equal(a.authenticate(requestWith({ cookie: `${a.cookieName}=${first}` })), undefined)
  })

  it('cookieValue finds one cookie by exact name', () => {
    assert.equal(cookieValue('a=1; peerit_5=xyz; b=2', 'peerit_5'), 'xyz')
    assert.equal(cookieValue('xpeerit_5=1', 'peerit_5'), undefined)
    assert.equal(cookieValue(undefined, 'a'), undefined)
  })
})
