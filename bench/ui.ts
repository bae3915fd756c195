/**
 * Web UI figures, side by side in one run, in Debian's headless Chromium:
 *
 * - first paint of the page on loopback (the login redirect, then `/`),
 *   median of several fresh tabs, from the browser's paint timing;
 * - the downloads view with 500 downloads, all their progress updated at the
 *   rate the event stream sends it (every 250 ms), for a few seconds: frames
 *   counted by requestAnimationFrame, long frames by the Long Animation
 *   Frames API;
 * - the daemon's CPU (utime + stime from /proc) while 10 downloads run,
 *   without a UI, with the page open, and without again.
 *
 *   node bench/ui.ts [--runs 10] [--seconds 10] [--json]
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { browserSkipReason, launchChromium } from '../test/fixtures/browser.ts'
import { eventually, hostPort, PeerNetwork } from '../test/fixtures/daemons.ts'
import { bearer, httpRequest, uiLogin } from '../test/fixtures/ui.ts'
import type { AddressInfo } from 'node:net'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, seconds: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const seconds = Number(values.seconds)
const skip = browserSkipReason()
if (skip != null) {
  process.stderr.write(`${skip}\n`)
  process.exit(1)
}

function median (list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat, counted from 1; the split drops the first two.
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function cpuPercent (pid: number, ms: number): Promise<number> {
  const before = cpuSeconds(pid)
  const started = Date.now()
  await new Promise(resolve => setTimeout(resolve, ms))
  return (cpuSeconds(pid) - before) / ((Date.now() - started) / 1000) * 100
}

const network = new PeerNetwork()
const browser = await launchChromium()
try {
  const a = await network.peer()
  await mkdir(a.sharedDir, { recursive: true })
  const fileSize = 16 * 1024 * 1024
  for (let i = 0; i < 10; i++) {
    await writeFile(join(a.sharedDir, `bench-${i}.bin`), randomBytes(fileSize))
  }
  const started = await a.start()
  await a.json(['sync'])
  const b = await network.peer({ primary_peer_url: hostPort(started.addresses[0]) })
  const bStarted = await b.start()
  await eventually(async () => (await b.json(['status'])).connectedPeers === 1)
  await b.json(['fetch', '--ttl', '1'])
  const ui = await uiLogin(b)

  // 1. First paint, alternated tab by tab with a one-line page from a bare node:http server (the floor).
  const bare = createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html' })
    response.end('<!doctype html><title>x</title><p>PeerIT</p>')
  })
  await new Promise<void>((resolve) => { bare.listen(0, '127.0.0.1', resolve) })
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`
  const firstPaint = async (url: string): Promise<number> => {
    const tab = await context.newPage()
    await tab.goto(url)
    const ms = await tab.evaluate(`new Promise((resolve) => {
      new PerformanceObserver((list) => {
        const paint = list.getEntries().find(e => e.name === 'first-contentful-paint')
        if (paint != null) resolve(paint.startTime)
      }).observe({ type: 'paint', buffered: true })
    })`) as number
    await tab.close()
    return ms
  }
  const paints: number[] = []
  const loginPaints: number[] = []
  const barePaints: number[] = []
  const context = await browser.newContext()
  await firstPaint(ui.url)
  for (let i = 0; i < runs; i++) {
    paints.push(await firstPaint(`${ui.base}/`))
    loginPaints.push(await firstPaint(ui.url))
    barePaints.push(await firstPaint(bareUrl))
  }
  bare.close()

  // 2. 500 downloads in the real view, every row's progress updated every 250 ms.
  const page = await context.newPage()
  await page.goto(ui.url)
  await page.waitForSelector('body[data-ready="true"]')
  const measure = readFileSync(new URL('./ui-page.js', import.meta.url), 'utf8').trim()
  // Still rows first: what this machine's load alone costs in frames, beside the updating run.
  const still: any = await page.evaluate(`(${measure})(5000, false)`)
  const frames: any = await page.evaluate(`(${measure})(5000, true)`)
  await page.close()

  // 3. Daemon CPU with 10 active downloads (paced at 2 MiB/s in total so they last), without and with the page.
  await httpRequest(ui.port, '/api/limits', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ downloadBytesPerSecond: 2 * 1024 * 1024 }) })
  for (let i = 0; i < 10; i++) {
    const queued = await httpRequest(ui.port, '/api/download', { method: 'POST', headers: bearer(ui.token, true), body: JSON.stringify({ target: `bench-${i}.bin`, detach: true }) })
    if (queued.status !== 200) {
      throw new Error(`download bench-${i}.bin: ${queued.text}`)
    }
  }
  // The daemon runs 3 at once (maxParallelDownloads) and queues the rest, as a user's 10 would be.
  await eventually(async () => (await b.json(['downloads'])).filter((d: any) => d.status === 'active').length >= 3, { what: 'downloads running' })
  const windowMs = seconds * 1000
  const without = await cpuPercent(bStarted.pid, windowMs)
  const open = await context.newPage()
  await open.goto(ui.url)
  await open.waitForSelector('body[data-ready="true"]')
  const withUi = await cpuPercent(bStarted.pid, windowMs)
  await open.close()
  const withoutAgain = await cpuPercent(bStarted.pid, windowMs)
  const active = (await b.json(['downloads'])).filter((d: any) => d.status === 'active' || d.status === 'queued').length

  const result = {
    firstPaintMs: { median: median(paints), max: Math.max(...paints), loginMedian: median(loginPaints), bareMedian: median(barePaints), runs },
    downloadsView: { updating: frames, still },
    daemonCpuPercent: { without, withUi, withoutAgain, extra: withUi - (without + withoutAgain) / 2, activeDownloadsAtEnd: active }
  }
  if (values.json === true) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  } else {
    process.stdout.write([
      `first paint (median of ${runs} tabs)   ${result.firstPaintMs.median.toFixed(1)} ms (max ${result.firstPaintMs.max.toFixed(1)} ms); through the login redirect ${result.firstPaintMs.loginMedian.toFixed(1)} ms`,
      `                                      a bare one-line page from node:http, same tabs: ${result.firstPaintMs.bareMedian.toFixed(1)} ms`,
      ...[['500 downloads, all updating 4×/s', frames], ['500 downloads, still', still]].flatMap(([label, f]: any[]) => [
        `${label.padEnd(38)}${f.frames} frames in 5 s, median ${f.medianFrameMs.toFixed(1)} ms, p99 ${f.p99FrameMs.toFixed(1)} ms, max ${f.maxFrameMs.toFixed(1)} ms, dropped (> 25 ms) ${f.droppedFrames}, long frames ${f.longAnimationFrames}, rows ${f.rows}`,
        `${''.padEnd(38)}render of the changed rows: ${f.renders} renders, median ${f.medianRenderMs.toFixed(2)} ms, max ${f.maxRenderMs.toFixed(2)} ms`]),
      `daemon CPU, 10 active downloads       without UI ${without.toFixed(2)} %, with the page open ${withUi.toFixed(2)} %, without again ${withoutAgain.toFixed(2)} %`,
      `                                      UI's extra: ${result.daemonCpuPercent.extra.toFixed(2)} % of a core (${active} downloads still active or queued at the end)`
    ].join('\n') + '\n')
  }
} finally {
  await browser.close()
  await network.close()
}
