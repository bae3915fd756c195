/**
 * CLI and daemon start-up figures, side by side in one run:
 *
 * - `peerit status --json` against a running daemon (process start to exit)
 *   versus `node -e 0` on the same Node, alternated run by run;
 * - `peerit start` (process start to "ready": listening and the socket
 *   answering) and `peerit stop`.
 *
 *   node bench/cli.ts [--runs 20] [--json]
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } })
const runs = Number(values.runs)
const bin = fileURLToPath(new URL('../bin/peerit.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'peerit-bench-cli-'))
await writeFile(join(dir, 'peerConf.json'), JSON.stringify({ listening_ip: '127.0.0.1', listening_port: 0 }))

function timed (args: string[]): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(process.execPath, args, { cwd: dir, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } })
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}`)
  }
  return Number(process.hrtime.bigint() - started) / 1e6
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
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
  const statusMs: number[] = []
  const nodeMs: number[] = []
  const ratios: number[] = []
  for (let i = 0; i < runs; i++) {
    const status = timed([bin, 'status', '--json'])
    const bare = timed(['-e', '0'])
    statusMs.push(status)
    nodeMs.push(bare)
    ratios.push(status / bare)
  }
  timed([bin, 'stop'])
  const figures = {
    node: process.version,
    runs,
    statusMedianMs: median(statusMs),
    nodeMedianMs: median(nodeMs),
    statusOverNode: median(ratios),
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
    console.log(`peerit start → ready      ${figures.startToReadyMedianMs.toFixed(0)} ms (whole command)`)
    console.log(`peerit stop               ${figures.stopMedianMs.toFixed(0)} ms`)
  }
} finally {
  spawnSync(process.execPath, [bin, 'stop'], { cwd: dir, stdio: 'ignore' })
  await rm(dir, { recursive: true, force: true })
}
