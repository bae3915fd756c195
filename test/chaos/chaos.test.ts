import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_CHAOS_OPTIONS, runChaos } from './chaos.ts'
import { formatReport } from './ledger.ts'

/**
 * The short chaos run of `npm test`: a fixed script of steps, one at a time,
 * on 4 daemons with small files and a fixed seed, so every run takes the same
 * course. `npm run chaos` is the long, concurrent, time-driven one.
 */
describe('the chaos run (short, scripted)', () => {
  it('under a kill, a stop and a link cut every invariant holds and work gets done', { timeout: 300_000 }, async () => {
    const progress: string[] = []
    const report = await runChaos({
      ...DEFAULT_CHAOS_OPTIONS,
      peers: 4,
      // a bound on the whole script, not its pace: the steps run back to back
      seconds: 200,
      seed: Number(process.env.CHAOS_SEED ?? 5),
      maxFileSize: 1024 * 1024,
      script: ['fetch', 'download', 'kill', 'download', 'search', 'cut', 'fetch', 'download', 'stop', 'search', 'download'],
      // A loaded CI machine starts a Node process slowly: the bound is on the daemon hanging, not on speed.
      statusBoundMs: 20_000,
      log: (line) => { progress.push(line) }
    })
    const story = `${formatReport(report)}\n\nprogress:\n${progress.slice(-40).join('\n')}`
    assert.equal(report.ok, true, story)
    assert.equal(report.counts.runnerErrors, undefined, story)
    assert.equal(report.counts.kills, 1, story)
    assert.equal((report.counts.gracefulStops ?? 0) + (report.counts.gracefulStopsFailed ?? 0), 1, story)
    assert.equal((report.counts.linkCuts ?? 0) + (report.counts.linkCutsFailed ?? 0), 1, story)
    assert.equal(report.counts.restarts, (report.counts.kills ?? 0) + (report.counts.gracefulStops ?? 0) + (report.counts.gracefulStopsFailed ?? 0), story)
    assert.ok((report.counts.downloadsCompleted ?? 0) >= 1, `no download completed\n${story}`)
    for (const invariant of report.invariants.filter(i => i.key !== 'searchMatches')) {
      assert.ok(invariant.checks > 0, `${invariant.key} was never checked\n${story}`)
    }
  })
})
