/**
 * CLI and daemon start-up figures, side by side in one run:
 *
 * - `peerit status --json` against a running daemon (process start to exit)
 *   versus `node -e 0` on the same Node, alternated run by run, twice: through
 *   this (pinned) Node, and as a user types it — `peerit` a symlink on the
 *   PATH (as `npm link` makes it) to the shell launcher, with the first `node`
 *   on the PATH the system's (`--user-path`, default /usr/bin);
 * - `peerit start` (process start to "ready": listening and the socket
 *   answering) and `peerit stop`.
 *
 *   node bench/cli.ts [--runs 20] [--json]
 */
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false }, 'user-path': { type: 'string', default: '/usr/bin' } }
})
const runs = Number(values.runs)
const bin = fileURLToPath(new URL('../bin/peerit.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'peerit-bench-cli-'))
await writeFile(join(dir, 'peerConf.json'), JSON.stringify({ listening_ip: '127.0.0.1', listening_port: 0 }))
const linkDir = join(dir, 'bin')
await mkdir(linkDir)
await symlink(fileURLToPath(new URL('../bin/peerit', import.meta.url)), join(linkDir, 'peerit'))
const userEnv = { ...process.env, NO_COLOR: '1', PATH: `${values['user-path']}:${linkDir}:${process.env.PATH ?? ''}` }

function timed (args: string[], command = process.execPath, env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { cwd: dir, stdio: 'ignore', env })
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}`)
  }
  return Number(process.hrtime.bigint() - started) / 1e6
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** Runs a and b alternately `runs` times: their medians and the median of the pairwise ratios. */
function pairwise (a: () => number, b: () => number): { aMs: number, bMs: number, ratio: number } {
  const aMs: number[] = []
  const bMs: number[] = []
  const ratios: number[] = []
  for (let i = 0; i < runs; i++) {
    aMs.push(a())
    bMs.push(b())
    ratios.push((aMs.at(-1) ?? 0) / (bMs.at(-1) ?? 1))
  }
  return { aMs: median(aMs), bMs: median(bMs), ratio: median(ratios) }
}

try {
  const startMs: number[] = []
  const stopMs: number[] = []
  for (let i = 0; i < Math.min(runs, 10); i++) {
    startMs.push(timed([bin, 'start']))
    stopMs.push(timed([bin, 'stop']))
  }
  timed([bin, 'start'])
  // Warm-up: the first run fills Node's compile cache.
  timed([bin, 'status', '--json'])
  const pinned = pairwise(() => timed([bin, 'status', '--json']), () => timed(['-e', '0']))
  // Found through the PATH as a shell would: the launcher symlink, and the first `node`.
  timed(['status', '--json'], 'peerit', userEnv)
  const user = pairwise(() => timed(['status', '--json'], 'peerit', userEnv), () => timed(['-e', '0'], 'node', userEnv))
  const userNode = spawnSync('node', ['--version'], { env: userEnv, encoding: 'utf8' }).stdout.trim()
  timed([bin, 'stop'])
  const figures = {
    node: process.version,
    runs,
    statusMedianMs: pinned.aMs,
    nodeMedianMs: pinned.bMs,
    statusOverNode: pinned.ratio,
    userNode,
    userStatusMedianMs: user.aMs,
    userNodeMedianMs: user.bMs,
    userStatusOverNode: user.ratio,
    startToReadyMedianMs: median(startMs),
    stopMedianMs: median(stopMs)
  }
  if (values.json === true) {
    console.log(JSON.stringify(figures, null, 2))
  } else {
    console.log(`Node ${figures.node}, ${runs} runs, medians`)
    console.log(`peerit status --json      ${figures.statusMedianMs.toFixed(1)} ms`)
    console.log(`node -e 0                 ${figures.nodeMedianMs.toFixed(1)} ms`)
    console.log(`status / node (pairwise)  ${figures.statusOverNode.toFixed(2)}×`)
    console.log(`as typed (PATH node ${figures.userNode}): peerit status --json ${figures.userStatusMedianMs.toFixed(1)} ms, node -e 0 ${figures.userNodeMedianMs.toFixed(1)} ms, pairwise ${figures.userStatusOverNode.toFixed(2)}×`)
    if (figures.userNode !== figures.node) {
      // bin/peerit execs the package's pinned Node, so the two sides of this ratio are different binaries.
      console.log(`  (peerit runs on the package's pinned Node, node -e 0 on the PATH's ${figures.userNode}: different binaries; the pinned ratio above is like for like)`)
    }
    console.log(`peerit start → ready      ${figures.startToReadyMedianMs.toFixed(0)} ms (whole command)`)
    console.log(`peerit stop               ${figures.stopMedianMs.toFixed(0)} ms`)
  }
} finally {
  spawnSync(process.execPath, [bin, 'stop'], { cwd: dir, stdio: 'ignore' })
  await rm(dir, { recursive: true, force: true })
}
