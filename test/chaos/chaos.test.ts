import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_CHAOS_OPTIONS, runChaos } from './chaos.ts'
import { formatReport } from './ledger.ts'

/** The short chaos run: 5 daemons for 25 s with small files; `npm run chaos` is the long one. */
describe('the chaos run (short)', () => {
  it('under kills, stops and link cuts every invariant holds and work gets done', { timeout: 300_000 }, async () => {
    const progress: string[] = []
    const report = await runChaos({
      ...DEFAULT_CHAOS_OPTIONS,
      peers: 5,
      seconds: 25,
      seed: Number(process.env.CHAOS_SEED ?? 5),
      maxFileSize: 2 * 1024 * 1024,
      users: 2,
      // A loaded CI machine starts a Node process slowly: the bound is on the daemon hanging, not on speed.
      statusBoundMs: 20_000,
      log: (line) => { progress.push(line) }
    })
    const story = `${formatReport(report)}\n\nprogress:\n${progress.slice(-40).join('\n')}`
    assert.equal(report.ok, true, story)
    assert.equal(report.counts.runnerErrors, undefined, story)
    assert.ok((report.counts.kills ?? 0) + (report.counts.gracefulStops ?? 0) >= 1, `no daemon was taken down\n${story}`)
    assert.equal(report.counts.restarts, (report.counts.kills ?? 0) + (report.counts.gracefulStops ?? 0) + (report.counts.gracefulStopsFailed ?? 0), story)
    assert.ok((report.counts.downloadsCompleted ?? 0) >= 1, `no download completed\n${story}`)
    for (const invariant of report.invariants.filter(i => i.key !== 'searchMatches')) {
      assert.ok(invariant.checks > 0, `${invariant.key} was never checked\n${story}`)
    }
  })
})
