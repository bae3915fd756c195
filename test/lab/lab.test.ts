import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { it } from 'node:test'
import { runLab } from './lab.ts'
import { labUnavailable } from './netns.ts'
import { SHORT } from './scenario.ts'

// The short NAT lab: the full one is `npm run lab` (docs/network.md).
const unavailable = labUnavailable()

it('the short NAT lab: every check holds and every namespace is deleted', { timeout: 600_000 }, async (t) => {
  if (unavailable != null) {
    t.skip(unavailable)
    return
  }
  const checks = await runLab(SHORT, (check) => { t.diagnostic(`${check.held ? 'held' : 'FAILED'}: ${check.name}: ${check.detail}`) })
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter(line => line.startsWith(`pl${process.pid}-`))
  assert.deepEqual(left, [], 'namespaces left behind')
  assert.equal(checks.length, 6)
  assert.deepEqual(checks.filter(check => !check.held).map(check => `${check.name}: ${check.detail}`), [])
})
