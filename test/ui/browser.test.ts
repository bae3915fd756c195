import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { browserSkipReason, launchChromium } from '../fixtures/browser.ts'
import { eventually, hostPort, PeerNetwork } from '../fixtures/daemons.ts'
import { bearer, httpRequest, uiLogin } from '../fixtures/ui.ts'
import type { PeerDir } from '../fixtures/daemons.ts'
import type { UiLogin } from '../fixtures/ui.ts'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser, BrowserContext, Page } from 'playwright-core'

// Set PEERIT_SCREENSHOTS=1 to refresh the screenshots in docs/ (not done on every run: they are committed).
const SCREENSHOT_DIR = process.env.PEERIT_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : undefined
const skip = browserSkipReason()

function sha256 (bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/**
 * Two real daemons: A shares files, B is the one whose UI the browser opens
 * (through the URL `peerit ui` prints). B finds A's file through the UI's
 * search (which asks the network when B knows too little), downloads it,
 * pauses and resumes it, and uploads a file of its own.
 */
describe('the web UI in headless Chromium', { skip }, () => {
  const network = new PeerNetwork()
  const movie = randomBytes(6 * 1024 * 1024)
  let a: PeerDir
  let b: PeerDir
  let ui: UiLogin
  let browser: Browser
  let context: BrowserContext
  let page: Page

  before(async () => {
    a = await network.peer()
    await mkdir(a.sharedDir, { recursive: true })
    await writeFile(join(a.sharedDir, 'holiday movie.bin'), movie)
    await writeFile(join(a.sharedDir, 'song one.mp3'), 'not really music')
    await writeFile(join(a.sharedDir, 'unwanted.bin'), randomBytes(4 * 1024 * 1024))
    const started = await a.start()
    await a.json(['sync'])
    b = await network.peer({ primary_peer_url: hostPort(started.addresses[0]) })
    await b.start()
    await eventually(async () => (await b.json(['status'])).connectedPeers === 1, { what: 'B connected to A' })
    ui = await uiLogin(b)
    browser = await launchChromium()
    context = await browser.newContext({ viewport: { width: 1180, height: 860 } })
    page = await context.newPage()
    await page.goto(ui.url)
    await page.waitForSelector('body[data-ready="true"]')
  })

  after(async () => {
    await browser?.close()
    await network.close()
  })

  it('the login URL leads to a token-free page that shows this node', async () => {
    assert.equal(page.url(), `${ui.base}/`)
    const status = await b.json(['status'])
    assert.equal(await page.locator('#peer-id').textContent(), status.peerId)
    assert.equal(await page.locator('#connected-peers').textContent(), '1')
    await page.getByRole('button', { name: 'Copy' }).click()
  })

  it('searches by words, asking the network when little is known here, and lists the results', async () => {
    const box = page.getByRole('searchbox', { name: 'Words in the file name' })
    await box.fill('holiday')
    await box.press('Enter')
    const row = page.locator('#results tbody tr', { hasText: 'holiday movie.bin' })
    await row.waitFor()
    assert.match(await page.locator('#search-status').textContent() ?? '', /network/)
    assert.equal(await row.locator('td').nth(1).textContent(), '6.0 MiB')
    assert.equal(await row.locator('td').nth(3).textContent(), '1')
    if (SCREENSHOT_DIR != null) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-search.png') })
    }
  })

  it('Download (pressed from the keyboard) shows live progress; Pause and Resume act on the daemon; it reaches 100 %', async () => {
    // Slow B down so there is time to pause: the same limit `peerit limits --download` sets.
    const limited = await httpRequest(ui.port, '/api/limits', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ downloadBytesPerSecond: 512 * 1024 }) })
    assert.equal(limited.status, 200, limited.text)
    const download = page.getByRole('button', { name: 'Download holiday movie.bin' })
    await download.focus()
    await page.keyboard.press('Enter')
    const row = page.locator('#active-downloads tbody tr', { hasText: 'holiday movie.bin' })
    await row.waitFor()
    await eventually(async () => await row.locator('progress').evaluate((bar: any) => bar.value) > 0, { what: 'progress on the bar' })
    if (SCREENSHOT_DIR != null) {
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-downloads.png') })
    }

    await page.getByRole('button', { name: 'Pause holiday movie.bin' }).click()
    await eventually(async () => (await row.locator('td').nth(5).textContent()) === 'paused', { what: 'the row to say paused' })
    const [paused] = await b.json(['downloads'])
    assert.equal(paused.status, 'paused')
    assert.ok(paused.received < movie.length)
    assert.equal(await page.getByRole('button', { name: 'Resume holiday movie.bin' }).isEnabled(), true)

    await page.getByRole('button', { name: 'Resume holiday movie.bin' }).click()
    await httpRequest(ui.port, '/api/limits', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ downloadBytesPerSecond: 0 }) })
    const done = page.locator('#download-history tbody tr', { hasText: 'holiday movie.bin' })
    await done.waitFor({ timeout: 60_000 })
    assert.equal(await done.locator('td').nth(2).textContent(), '100 %')
    assert.equal(await done.locator('td').nth(3).textContent(), 'completed')
    assert.equal(sha256(await readFile(join(b.downloadDir, 'holiday movie.bin'))), sha256(movie))
    assert.match(await page.locator('#downloads-summary').textContent() ?? '', /1 completed/)
  })

  it('Cancel stops a download, deletes its partial file and moves it to the history', async () => {
    await httpRequest(ui.port, '/api/limits', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ downloadBytesPerSecond: 256 * 1024 }) })
    try {
      const box = page.getByRole('searchbox', { name: 'Words in the file name' })
      await box.fill('unwanted')
      await box.press('Enter')
      await page.getByRole('button', { name: 'Download unwanted.bin' }).click()
      const row = page.locator('#active-downloads tbody tr', { hasText: 'unwanted.bin' })
      await eventually(async () => await row.locator('progress').evaluate((bar: any) => bar.value) > 0, { what: 'progress on the bar' })
      await page.getByRole('button', { name: 'Cancel unwanted.bin' }).click()
      const gone = page.locator('#download-history tbody tr', { hasText: 'unwanted.bin' })
      await gone.waitFor()
      assert.equal(await gone.locator('td').nth(3).textContent(), 'cancelled')
      const entry = (await b.json(['downloads'])).find((d: any) => d.name === 'unwanted.bin')
      assert.equal(entry.status, 'cancelled')
      assert.deepEqual((await readdir(b.downloadDir)).filter(name => name.includes('unwanted')), [])
    } finally {
      await httpRequest(ui.port, '/api/limits', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ downloadBytesPerSecond: 0 }) })
    }
  })

  it('uploads a file chosen in the browser into shared_dir and lists it as shared', async () => {
    const bytes = randomBytes(300_000)
    await page.locator('#upload-input').setInputFiles({ name: 'from the browser.bin', mimeType: 'application/octet-stream', buffer: bytes })
    await page.locator('#shared-files tbody tr', { hasText: 'from the browser.bin' }).waitFor()
    assert.deepEqual(await readFile(join(b.sharedDir, 'from the browser.bin')), bytes)
    assert.ok((await b.json(['list', 'shared'])).some((f: any) => f.name === 'from the browser.bin'))
    await page.getByRole('button', { name: 'Re-sync the shared folder' }).click()
    await eventually(async () => /Synced/.test(await page.locator('#shared-status').textContent() ?? ''), { what: 'the sync to finish' })
  })

  it('lists peers and connects to one by address', async () => {
    const c = await network.peer()
    const started = await c.start()
    await page.getByLabel('Peer address (host:port or multiaddr)').fill(hostPort(started.addresses[0]))
    await page.getByRole('button', { name: 'Connect', exact: true }).click()
    await page.locator('#peer-list tbody tr', { hasText: started.peerId.slice(-6) }).waitFor()
    assert.match(await page.locator('#peers-status').textContent() ?? '', /Connected/)
    if (SCREENSHOT_DIR != null) {
      await page.evaluate('window.scrollTo(0, 0)')
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-light.png'), fullPage: true })
      await page.emulateMedia({ colorScheme: 'dark' })
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-dark.png'), fullPage: true })
      await page.emulateMedia({ colorScheme: 'light' })
    }
  })

  it('a page of another site cannot make the UI do anything, even from 127.0.0.1 with the session cookie', async () => {
    const attacker: Server = createServer((request, response) => {
      if (request.url === '/attack.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript' })
        response.end(`fetch(${JSON.stringify(`${ui.base}/api/upload?name=planted.txt`)}, { method: 'POST', body: 'planted', credentials: 'include', mode: 'no-cors' })
          .then(() => { document.body.dataset.sent = 'yes' }, () => { document.body.dataset.sent = 'failed' })`)
        return
      }
      response.writeHead(200, { 'Content-Type': 'text/html' })
      response.end('<!doctype html><body><script src="/attack.js"></script></body>')
    })
    await new Promise<void>((resolve) => { attacker.listen(0, '127.0.0.1', resolve) })
    try {
      const evil = await context.newPage()
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
      await evil.waitForSelector('body[data-sent]', { state: 'attached' })
      await evil.close()
      assert.equal((await readdir(b.sharedDir)).includes('planted.txt'), false)
    } finally {
      attacker.close()
    }
  })

  it('a browser without the login, or after --new-token, is told to run peerit ui', async () => {
    const stranger = await browser.newPage()
    await stranger.goto(`${ui.base}/`)
    await stranger.locator('#login-needed').waitFor({ state: 'visible' })
    await stranger.close()
    ui = await uiLogin(b, { newToken: true })
    await page.reload()
    await page.locator('#login-needed').waitFor({ state: 'visible' })
  })
})
