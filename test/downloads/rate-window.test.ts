import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DownloadRate } from '../../src/downloads/download-rate.ts'
import { RateWindow } from '../../src/downloads/rate-window.ts'

describe('RateWindow', () => {
  it('is the rate over the last seconds, and forgets a burst once it leaves the window', () => {
    const window = new RateWindow(5000)
    assert.equal(window.push(0, 0), 0)
    assert.equal(window.push(10_000_000, 1000), 10_000_000, 'a burst of 10 MB in the first second')
    for (let second = 2; second <= 7; second++) {
      window.push(10_000_000 + (second - 1) * 1_000_000, second * 1000)
    }
    // Seconds 2..7 moved 1 MB each: the burst is out of the window.
    assert.equal(window.rate, 1_000_000)
  })

  it('drops to 0 when nothing arrives for a whole window', () => {
    const window = new RateWindow(2000)
    window.push(0, 0)
    window.push(5_000_000, 1000)
    window.push(5_000_000, 4000)
    window.push(5_000_000, 5000)
    assert.equal(window.rate, 0)
  })
})

describe('DownloadRate', () => {
  it('lets everything through at once when unlimited', async () => {
    const rate = new DownloadRate(0)
    const started = performance.now()
    await rate.take(1 << 30, AbortSignal.timeout(1000))
    assert.ok(performance.now() - started < 50)
  })

  it('makes requests wait so bytes asked for match the rate, and a pause aborts the wait', async () => {
    const rate = new DownloadRate(1024 * 1024)
    const started = performance.now()
    await rate.take(512 * 1024, AbortSignal.timeout(5000))
    await rate.take(512 * 1024, AbortSignal.timeout(5000))
    const seconds = (performance.now() - started) / 1000
    // 1 MiB at 1 MiB/s less the quarter-second burst.
    assert.ok(seconds >= 0.7 && seconds < 1.5, `${seconds} s`)
    const controller = new AbortController()
    const waiting = rate.take(4 * 1024 * 1024, controller.signal)
    controller.abort()
    await assert.rejects(waiting, { name: 'AbortError' })
  })
})
