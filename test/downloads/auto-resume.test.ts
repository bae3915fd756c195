import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { AutoResume } from '../../src/downloads/auto-resume.ts'
import { eventually } from '../fixtures/daemons.ts'
import type { DownloadEntry, DownloadStatus } from '../../src/downloads/types.ts'

const ID = 'a'.repeat(64)
const log = defaultLogger().forComponent('test:auto-resume')

function entry (status: DownloadStatus, received: number, error?: string): DownloadEntry {
  return { contentId: ID, name: 'x.bin', size: 100, received, status, providers: 0, bytesPerSecond: 0, ...(error == null ? {} : { error }) }
}

describe('auto-resume of interrupted downloads', () => {
  let autoResume: AutoResume | undefined
  afterEach(() => { autoResume?.stop() })

  function create (firstDelayMs: number, resumed: number[] = []): { autoResume: AutoResume, resumed: number[] } {
    autoResume = new AutoResume({ log, firstDelayMs, maxDelayMs: 60_000, resume: async () => { resumed.push(Date.now()); return true } })
    return { autoResume, resumed }
  }

  it('an interruption for want of providers is tried again after the first delay', async () => {
    const { autoResume, resumed } = create(50)
    const interruptedAt = Date.now()
    autoResume.onStatus(entry('interrupted', 10, 'no provider could supply …'))
    await eventually(async () => resumed.length === 1, { timeoutMs: 5_000, what: 'a try' })
    assert.ok(resumed[0] - interruptedAt >= 45, `tried after ${resumed[0] - interruptedAt} ms`)
  })

  it('pause, cancel, failure and completion win: nothing is tried', async () => {
    for (const status of ['paused', 'cancelled', 'failed', 'completed'] as const) {
      const { autoResume, resumed } = create(20)
      autoResume.onStatus(entry('interrupted', 10, 'no provider'))
      autoResume.onStatus(entry(status, 10, status === 'failed' ? 'disk full' : undefined))
      assert.equal(autoResume.size, 0, `${status}: no try is pending`)
      assert.deepEqual(resumed, [], status)
      autoResume.stop()
    }
  })

  it('an interruption by a shutdown (no error) is left to the next start', async () => {
    const { autoResume } = create(20)
    autoResume.onStatus(entry('interrupted', 10))
    assert.equal(autoResume.size, 0)
  })

  it('a path coming back tries at once, but never sooner than the first delay after the last try', async () => {
    const { autoResume, resumed } = create(200)
    autoResume.onStatus(entry('interrupted', 10, 'no provider'))
    await eventually(async () => resumed.length === 1, { timeoutMs: 5_000, what: 'the first try' })
    autoResume.onStatus(entry('active', 10))
    autoResume.onStatus(entry('interrupted', 10, 'no provider'))
    // Just tried: a peer connecting now does not bring the next try forward (its back-off is 400 ms).
    autoResume.pathsChanged()
    assert.equal(resumed.length, 1)
    await eventually(() => Date.now() - resumed[0] >= 210, { what: 'the first delay to pass since the last try' })
    autoResume.pathsChanged()
    assert.equal(resumed.length, 2, 'a path came back after the first delay: tried at once')
  })

  it('the wait doubles while tries bring nothing, and starts over after progress', async () => {
    const { autoResume, resumed } = create(40)
    const fail = (received: number): void => {
      autoResume.onStatus(entry('active', received))
      autoResume.onStatus(entry('interrupted', received, 'no provider'))
    }
    autoResume.onStatus(entry('interrupted', 10, 'no provider'))
    await eventually(async () => resumed.length === 1, { timeoutMs: 5_000, what: 'try 1' })
    fail(10)
    await eventually(async () => resumed.length === 2, { timeoutMs: 5_000, what: 'try 2' })
    fail(10)
    await eventually(async () => resumed.length === 3, { timeoutMs: 5_000, what: 'try 3' })
    const second = resumed[2] - resumed[1]
    assert.ok(second >= 150, `the third wait (${second} ms) is the first doubled twice`)
    fail(50)
    const progressedAt = Date.now()
    await eventually(async () => resumed.length === 4, { timeoutMs: 5_000, what: 'try 4' })
    assert.ok(resumed[3] - progressedAt < second, 'after progress the wait is the first one again')
  })

  it('a download the manager would not resume (paused meanwhile, already running) is forgotten', async () => {
    autoResume = new AutoResume({ log, firstDelayMs: 20, resume: async () => false })
    autoResume.onStatus(entry('interrupted', 10, 'no provider'))
    await eventually(async () => autoResume?.size === 0, { timeoutMs: 5_000, what: 'forgotten' })
  })
})
