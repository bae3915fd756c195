/**
 * `npm run lab`: the full NAT lab (docs/network.md). Linux, root, `ip` and
 * `nft`; prints each check as it is decided and exits 1 if any failed.
 * `npm run lab -- --short` runs the small version `npm test` runs.
 */
import { runLab } from './lab.ts'
import { labUnavailable } from './netns.ts'
import { FULL, SHORT } from './scenario.ts'

const unavailable = labUnavailable()
if (unavailable != null) {
  console.error(unavailable)
  process.exit(2)
}
const short = process.argv.includes('--short')
console.log(`PeerIT NAT lab (${short ? 'short' : 'full'}): public segment 10.77.0.0/24 with a relay and a public peer; LAN A (a1, a2) and LAN B (b1) behind NAT routers`)
const started = Date.now()
try {
  const checks = await runLab(short ? SHORT : FULL, (check) => {
    console.log(`${check.held ? 'held  ' : 'FAILED'} ${check.name}\n       ${check.detail}`)
  })
  const failed = checks.filter(check => !check.held).length
  console.log(`${checks.length - failed} of ${checks.length} checks held in ${Math.round((Date.now() - started) / 1000)} s; every namespace deleted`)
  process.exitCode = failed === 0 ? 0 : 1
} catch (err: any) {
  console.error(`the lab could not run: ${err.message}`)
  process.exitCode = 1
}
