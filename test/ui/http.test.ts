import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { MAX_SSE_CLIENTS } from '../../src/ui/sse.ts'
import { hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import { bearer, httpRequest, uiLogin } from '../fixtures/ui.ts'
import type { PeerDir } from '../fixtures/daemons.ts'
import type { UiLogin } from '../fixtures/ui.ts'
import type { ClientRequest } from 'node:http'

/** Opens an event stream and resolves once its answer's status is known (the stream stays open). */
async function openStream (port: number, token: string): Promise<{ status: number, request: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { Host: `127.0.0.1:${port}`, ...bearer(token) } }, (res) => {
      res.resume()
      resolve({ status: res.statusCode ?? 0, request: req })
    })
    req.on('error', reject)
    req.end()
  })
}

/** Everything in a folder tree, as relative paths, to prove nothing was written. */
async function tree (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true })
  return entries.map(String).sort()
}

describe('the web UI over HTTP: the real daemon, the real CLI', () => {
  const network = new PeerNetwork()
  let a: PeerDir
  let b: PeerDir
  let ui: UiLogin

  before(async () => {
    a = await network.peer()
    await mkdir(a.sharedDir, { recursive: true })
    await writeFile(join(a.sharedDir, 'held-by-a.txt'), 'a file of peer A\n'.repeat(100))
    const started = await a.start()
    await a.json(['sync'])
    b = await network.peer({ primary_peer_url: hostPort(started.addresses[0]) })
    await mkdir(b.sharedDir, { recursive: true })
    await writeFile(join(b.sharedDir, 'local.txt'), 'shared by B')
    await b.start()
    await b.json(['sync'])
    await b.json(['fetch', '--ttl', '1'])
    ui = await uiLogin(b)
  })

  after(async () => { await network.close() })

  it('peerit ui --json gives a loopback login URL carrying a token of at least 128 bits, stored 0600', async () => {
    assert.match(ui.url, /^http:\/\/127\.0\.0\.1:\d+\/login\?token=[A-Za-z0-9_-]+$/)
    assert.equal(new URL(ui.url).searchParams.get('token'), ui.token)
    assert.ok(Buffer.from(ui.token, 'base64url').length * 8 >= 128, ui.token)
    const info = await stat(join(b.stateDir, 'ui-token'))
    assert.equal(info.mode & 0o777, 0o600)
    assert.equal((await readFile(join(b.stateDir, 'ui-token'), 'utf8')).trim(), ui.token)
    const human = await b.run(['ui'])
    assert.equal(human.code, 0)
    assert.ok(human.stdout.includes(ui.url), human.stdout)
    assert.ok(human.stdout.split('\n').every(line => line.length <= 80), human.stdout)
  })

  it('GET /api/<method> answers exactly what the CLI prints with --json', async () => {
    const [api, cli] = await Promise.all([
      httpRequest(ui.port, '/api/status', { headers: bearer(ui.token) }),
      b.json(['status'])
    ])
    assert.equal(api.status, 200)
    assert.ok(Math.abs(api.json.uptimeSeconds - cli.uptimeSeconds) <= 2)
    // uptime and the DHT's provide counters move on their own between the two answers: same fields, the rest exact
    const steady = (status: any): unknown => ({ ...status, uptimeSeconds: 0, dht: status.dht == null ? undefined : Object.keys(status.dht).sort() })
    assert.deepEqual(steady(api.json), steady(cli))
    const pairs: Array<[string, string[]]> = [
      ['/api/peers', ['list', 'peers']],
      ['/api/shared', ['list', 'shared']],
      ['/api/search?text=held', ['search', 'held']],
      ['/api/files', ['list', 'files']],
      ['/api/downloads', ['downloads']]
    ]
    for (const [path, args] of pairs) {
      const answer = await httpRequest(ui.port, path, { headers: bearer(ui.token) })
      assert.equal(answer.status, 200, `${path}: ${answer.text}`)
      assert.deepEqual(answer.json, await b.json(args), path)
    }
    const searched = await httpRequest(ui.port, '/api/search?text=held', { headers: bearer(ui.token) })
    assert.equal(searched.json.length, 1)
  })

  it('POST /api/<method> takes JSON params and answers errors in the CLI\'s --json error shape', async () => {
    const synced = await httpRequest(ui.port, '/api/sync', { method: 'POST', headers: bearer(ui.token, true), body: '{}' })
    assert.equal(synced.status, 200)
    assert.deepEqual(Object.keys(synced.json).sort(), ['added', 'removed', 'total', 'updated'])
    const missing = await httpRequest(ui.port, '/api/download', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ target: 'no-such-file.bin', detach: true }) })
    assert.equal(missing.status, 404, missing.text)
    assert.equal(typeof missing.json.error.message, 'string')
    const cli = await b.run(['download', 'no-such-file.bin', '--json'])
    assert.equal(missing.json.error.code, cli.json[0].error.code)
    const bad = await httpRequest(ui.port, '/api/connect', { method: 'POST', headers: bearer(ui.token, true), body: '{"url": 5}' })
    assert.equal(bad.status, 400)
    assert.equal(bad.json.error.code, 'ERR_INVALID_PARAMS')
    const notJson = await httpRequest(ui.port, '/api/sync', { method: 'POST', headers: { ...bearer(ui.token), 'Content-Type': 'text/plain' }, body: 'x' })
    assert.equal(notJson.status, 415)
    const unknown = await httpRequest(ui.port, '/api/stop', { method: 'POST', headers: bearer(ui.token, true), body: '{}' })
    assert.equal(unknown.status, 404, 'the daemon\'s stop method is not on the HTTP API')
    const getWrite = await httpRequest(ui.port, '/api/sync', { headers: bearer(ui.token) })
    assert.equal(getWrite.status, 405)
  })

  it('every /api/ request without the token, or with a wrong one, gets 401', async () => {
    for (const path of ['/api/status', '/api/peers', '/api/events', '/api/upload?name=x']) {
      assert.equal((await httpRequest(ui.port, path)).status, 401, path)
      assert.equal((await httpRequest(ui.port, path, { headers: bearer('A'.repeat(32)) })).status, 401, path)
      assert.equal((await httpRequest(ui.port, path, { headers: { Cookie: `peerit_${ui.port}=forged` } })).status, 401, path)
    }
    const wrongLogin = await httpRequest(ui.port, `/login?token=${'x'.repeat(32)}`)
    assert.equal(wrongLogin.status, 401)
    assert.equal(wrongLogin.headers['set-cookie'], undefined)
  })

  it('the login URL sets an HttpOnly, SameSite=Strict session cookie and redirects to a URL without the token', async () => {
    const login = await httpRequest(ui.port, new URL(ui.url).pathname + new URL(ui.url).search)
    assert.equal(login.status, 303)
    assert.equal(login.headers.location, '/')
    const cookie = String(login.headers['set-cookie'])
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Strict/)
    const session = cookie.split(';')[0]
    const status = await httpRequest(ui.port, '/api/status', { headers: { Cookie: session } })
    assert.equal(status.status, 200)
  })

  it('a Host other than 127.0.0.1 or localhost at its port is refused (DNS rebinding)', async () => {
    for (const host of ['rebind.example', `rebind.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, `127.0.0.2:${ui.port}`]) {
      const answer = await httpRequest(ui.port, '/api/status', { headers: { ...bearer(ui.token), Host: host } })
      assert.equal(answer.status, 421, host)
      assert.equal((await httpRequest(ui.port, '/', { headers: { Host: host } })).status, 421, host)
    }
    assert.equal((await httpRequest(ui.port, '/api/status', { headers: { ...bearer(ui.token), Host: `localhost:${ui.port}` } })).status, 200)
  })

  it('a cross-site POST is refused and changes nothing', async () => {
    const before = await tree(b.sharedDir)
    const login = await httpRequest(ui.port, new URL(ui.url).pathname + new URL(ui.url).search)
    const session = String(login.headers['set-cookie']).split(';')[0]
    const attempts: Array<Record<string, string>> = [
      { Cookie: session, Origin: 'http://attacker.example' },
      { Cookie: session, Origin: `http://127.0.0.1:${ui.port}`, 'Sec-Fetch-Site': 'cross-site' },
      { Cookie: session },
      { ...bearer(ui.token), Origin: 'null' }
    ]
    for (const headers of attempts) {
      const upload = await httpRequest(ui.port, '/api/upload?name=planted.txt', { method: 'POST', headers, body: 'planted' })
      assert.equal(upload.status, 403, JSON.stringify(headers))
      const connect = await httpRequest(ui.port, '/api/connect', { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{"url":"127.0.0.1:1"}' })
      assert.equal(connect.status, 403)
    }
    assert.deepEqual(await tree(b.sharedDir), before)
    const sameOrigin = await httpRequest(ui.port, '/api/sync', { method: 'POST', headers: { Cookie: session, Origin: `http://127.0.0.1:${ui.port}`, 'Sec-Fetch-Site': 'same-origin' } })
    assert.equal(sameOrigin.status, 200)
  })

  it('no CORS; a CSP without inline script on every answer', async () => {
    const preflight = await httpRequest(ui.port, '/api/status', { method: 'OPTIONS', headers: { Origin: 'http://attacker.example', 'Access-Control-Request-Method': 'GET' } })
    assert.ok(preflight.status >= 400)
    for (const answer of [preflight, await httpRequest(ui.port, '/'), await httpRequest(ui.port, '/api/status', { headers: { ...bearer(ui.token), Origin: 'http://attacker.example' } })]) {
      assert.equal(answer.headers['access-control-allow-origin'], undefined)
      const csp = String(answer.headers['content-security-policy'])
      assert.match(csp, /script-src 'self'/)
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    }
    const page = await httpRequest(ui.port, '/')
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page')
    assert.doesNotMatch(page.text, /(src|href)="(https?:)?\/\//, 'nothing loaded from another host')
  })

  it('uploads land in shared_dir and are shared; a taken name gets " (1)"', async () => {
    const first = await httpRequest(ui.port, '/api/upload?name=report%20final.txt', { method: 'POST', headers: bearer(ui.token), body: 'first' })
    assert.equal(first.status, 200, first.text)
    assert.equal(first.json.name, 'report final.txt')
    const second = await httpRequest(ui.port, '/api/upload?name=report%20final.txt', { method: 'POST', headers: bearer(ui.token), body: 'second' })
    assert.equal(second.json.name, 'report final (1).txt')
    assert.equal(await readFile(join(b.sharedDir, 'report final.txt'), 'utf8'), 'first')
    assert.equal(await readFile(join(b.sharedDir, 'report final (1).txt'), 'utf8'), 'second')
    const shared = await b.json(['list', 'shared'])
    assert.ok(shared.some((f: any) => f.id === first.json.id && f.name === 'report final.txt'))
    assert.ok(!(await tree(b.sharedDir)).some(name => name.includes('peerit-upload')), 'no temporary file left')
  })

  it('refuses traversal and hidden names, oversize and unbounded uploads; nothing is written outside shared_dir', async () => {
    const identity = await readFile(join(b.stateDir, 'identity.key'))
    const peerRoot = await tree(b.dir)
    for (const name of ['../../x', '..', '.peerit/identity.key', '../.peerit/identity.key', 'a/b', 'a\\b', '.hidden', '', '\u0000x', ' ']) {
      const answer = await httpRequest(ui.port, `/api/upload?name=${encodeURIComponent(name)}`, { method: 'POST', headers: bearer(ui.token), body: 'evil' })
      assert.equal(answer.status, 400, `${name}: ${answer.text}`)
      assert.equal(answer.json.error.code, 'ERR_BAD_NAME')
    }
    const noName = await httpRequest(ui.port, '/api/upload', { method: 'POST', headers: bearer(ui.token), body: 'evil' })
    assert.equal(noName.status, 400)
    const oversize = await httpRequest(ui.port, '/api/upload?name=huge.bin', { method: 'POST', headers: { ...bearer(ui.token), 'Content-Length': String(5 * 1024 ** 4) }, stall: true })
    assert.equal(oversize.status, 413)
    const chunked = await httpRequest(ui.port, '/api/upload?name=stream.bin', { method: 'POST', headers: { ...bearer(ui.token), 'Transfer-Encoding': 'chunked' }, body: 'abcd' })
    assert.equal(chunked.status, 411)
    const bigJson = await httpRequest(ui.port, '/api/sync', { method: 'POST', headers: { ...bearer(ui.token, true), 'Content-Length': String(10 * 1024 * 1024) }, stall: true })
    assert.equal(bigJson.status, 413)
    assert.deepEqual(await readFile(join(b.stateDir, 'identity.key')), identity)
    assert.deepEqual(await tree(b.dir), peerRoot)
  })

  it('a request body that never ends is cut off with 408', async () => {
    const started = Date.now()
    const answer = await httpRequest(ui.port, '/api/connect', { method: 'POST', headers: { ...bearer(ui.token, true), 'Content-Length': '100' }, body: '{"url":', stall: true })
    assert.equal(answer.status, 408)
    assert.ok(Date.now() - started < 15_000)
  })

  it(`at most ${MAX_SSE_CLIENTS} event streams at once; the next gets 503 until one closes`, async () => {
    const streams = []
    try {
      for (let i = 0; i < MAX_SSE_CLIENTS; i++) {
        const stream = await openStream(ui.port, ui.token)
        assert.equal(stream.status, 200)
        streams.push(stream)
      }
      const refused = await openStream(ui.port, ui.token)
      refused.request.destroy()
      assert.equal(refused.status, 503)
      streams.pop()?.request.destroy()
      let reopened: { status: number, request: ClientRequest } | undefined
      const deadline = Date.now() + 10_000
      while (Date.now() < deadline) {
        reopened = await openStream(ui.port, ui.token)
        if (reopened.status === 200) {
          break
        }
        reopened.request.destroy()
        await new Promise(resolve => setTimeout(resolve, 50))
      }
      assert.equal(reopened?.status, 200)
      if (reopened != null) {
        streams.push(reopened)
      }
    } finally {
      for (const stream of streams) {
        stream.request.destroy()
      }
    }
  })

  it('--new-token rotates the token: the old one and old sessions get 401, the new one works', async () => {
    const login = await httpRequest(ui.port, new URL(ui.url).pathname + new URL(ui.url).search)
    const oldSession = String(login.headers['set-cookie']).split(';')[0]
    const rotated = await uiLogin(b, { newToken: true })
    assert.notEqual(rotated.token, ui.token)
    assert.equal(rotated.port, ui.port)
    assert.equal((await httpRequest(ui.port, '/api/status', { headers: bearer(ui.token) })).status, 401)
    assert.equal((await httpRequest(ui.port, '/api/status', { headers: { Cookie: oldSession } })).status, 401)
    assert.equal((await httpRequest(ui.port, `/login?token=${ui.token}`)).status, 401)
    assert.equal((await httpRequest(ui.port, '/api/status', { headers: bearer(rotated.token) })).status, 200)
    ui = rotated
  })

  it('keeps its port and token across a restart', async () => {
    await b.json(['stop'])
    await b.start()
    const again = await uiLogin(b)
    assert.equal(again.port, ui.port)
    assert.equal(again.token, ui.token)
  })

  it('"web_ui": false serves nothing, and peerit ui says how to turn it on (exit 2)', async () => {
    const off = await network.peer({ web_ui: false })
    await off.start()
    const result = await off.run(['ui'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /"web_ui": true/)
    const json = await off.run(['ui', '--json'])
    assert.equal(json.json.error.code, 'ERR_UI_DISABLED')
    assert.equal((await readdir(off.stateDir)).includes('ui-port'), false)
  })

  it('a web_ui_port that is taken stops start with a message naming the key (exit 2)', async () => {
    const clash = await network.peer({ web_ui_port: ui.port })
    const result = await clash.run(['start'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, new RegExp(`web_ui_port ${ui.port} is in use`))
  })

  it('a bad web_ui_port is a config error naming the key', async () => {
    const bad = await network.peer({ web_ui_port: 70000 })
    const result = await bad.run(['start'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /web_ui_port/)
  })
})
