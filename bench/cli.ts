/**
 * CLI and daemon start-up figures, side by side in one run:
 *
 * - `peerit status --json` against a running daemon (process start to exit)
 *   versus `node -e 0` on the same Node, alternated run by run, twice: through
 *   this (pinned) Node, and as a user types it — `peerit` a symlink on the
 *   PATH (as `npm link` makes it) to the shell launcher, with the first `node`
 *   on the PATH the system's (`--user-path`, default /usr/bin);
 * - with `--baseline PATH`, the same `status --json` through another
 *   launcher (an earlier build's bin/peerit.js) in the same alternation, so a
 *   before and an after share one machine state;
 * - beside each wall time, the CPU time (user + system) the runs used, which
 *   a loaded machine inflates far less than the wall time;
 * - `peerit start` (process start to "ready": listening and the socket
 *   answering) and `peerit stop`.
 *
 *   node bench/cli.ts [--runs 20] [--baseline OLD/bin/peerit.js] [--json]
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    json: { type: 'boolean', default: false },
    'user-path': { type: 'string', default: '/usr/bin' },
    baseline: { type: 'string' }
  }
})
const runs = Number(values.runs)
const bin = fileURLToPath(new URL('../bin/peerit.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'peerit-bench-cli-'))
await writeFile(join(dir, 'peerConf.json'), JSON.stringify({ listening_ip: '127.0.0.1', listening_port: 0 }))
const linkDir = join(dir, 'bin')
await mkdir(linkDir)
await symlink(fileURLToPath(new URL('../bin/peerit', import.meta.url)), join(linkDir, 'peerit'))
const userEnv = { ...process.env, NO_COLOR: '1', PATH: `${values['user-path']}:${linkDir}:${process.env.PATH ?? ''}` }

/**
 * CPU time (user + system, ms) of this process's finished children, from
 * /proc/self/stat (Linux; in clock ticks of 10 ms, so only sums over many runs
 * mean much); undefined elsewhere.
 */
function childrenCpuMs (): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    // cutime and cstime, the 16th and 17th fields of proc(5), here after pid and comm.
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

/** One run of a command: its wall time, and the CPU time it used when known. */
interface Timing {
  ms: number
  cpuMs?: number
}

function timed (args: string[], command = process.execPath, env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }): Timing {
  const cpuBefore = childrenCpuMs()
  const started = process.hrtime.bigint()
  const result = spawnSync(command, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env, encoding: 'utf8' })
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const cpuAfter = childrenCpuMs()
  return cpuBefore == null || cpuAfter == null ? { ms } : { ms, cpuMs: cpuAfter - cpuBefore }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

/** One command's figures against the reference it alternated with. */
interface Compared {
  medianMs: number
  /** The median of the run-by-run ratios to the reference. */
  overReference: number
  cpuMs?: number
  cpuOverReference?: number
}

/** The mean CPU time of runs, when it was measured. */
function meanCpuMs (timings: Timing[]): number | undefined {
  return timings.every(t => t.cpuMs != null) ? timings.reduce((sum, t) => sum + (t.cpuMs ?? 0), 0) / timings.length : undefined
}

/**
 * Runs each command and then the reference, `runs` times over: each command's
 * median wall time, the median of its run-by-run ratios to the reference, and
 * the mean CPU times (as a ratio too).
 */
function alternated (commands: Record<string, () => Timing>, reference: () => Timing): { reference: Compared, commands: Record<string, Compared> } {
  const names = Object.keys(commands)
  const timings: Timing[][] = names.map(() => [])
  const ratios: number[][] = names.map(() => [])
  const referenceTimings: Timing[] = []
  for (let i = 0; i < runs; i++) {
    const these = names.map(name => commands[name]())
    const ref = reference()
    referenceTimings.push(ref)
    these.forEach((timing, j) => {
      timings[j].push(timing)
      ratios[j].push(timing.ms / ref.ms)
    })
  }
  const referenceCpuMs = meanCpuMs(referenceTimings)
  return {
    reference: { medianMs: median(referenceTimings.map(t => t.ms)), overReference: 1, cpuMs: referenceCpuMs, cpuOverReference: 1 },
    commands: Object.fromEntries(names.map((name, j) => {
      const cpuMs = meanCpuMs(timings[j])
      return [name, {
        medianMs: median(timings[j].map(t => t.ms)),
        overReference: median(ratios[j]),
        cpuMs,
        cpuOverReference: cpuMs == null || referenceCpuMs == null ? undefined : cpuMs / referenceCpuMs
      }]
    }))
  }
}

/** "82.0 ms, 1.74× (CPU 60.5 ms, 1.41×)": a command's figures against its reference. */
function line (figures: Compared): string {
  const cpu = figures.cpuMs == null ? '' : ` (CPU ${figures.cpuMs.toFixed(1)} ms, ${figures.cpuOverReference?.toFixed(2)}×)`
  return `${figures.medianMs.toFixed(1)} ms, ${figures.overReference.toFixed(2)}×${cpu}`
}

try {
  const startMs: number[] = []
  const stopMs: number[] = []
  for (let i = 0; i < Math.min(runs, 10); i++) {
    startMs.push(timed([bin, 'start']).ms)
    stopMs.push(timed([bin, 'stop']).ms)
  }
  timed([bin, 'start'])
  const baseline = values.baseline
  const pinnedCommands: Record<string, () => Timing> = { status: () => timed([bin, 'status', '--json']) }
  if (baseline != null) {
    pinnedCommands.baselineStatus = () => timed([baseline, 'status', '--json'])
  }
  // Warm-up: the first run fills Node's compile cache.
  Object.values(pinnedCommands).forEach(run => run())
  const pinned = alternated(pinnedCommands, () => timed(['-e', '0']))
  // Found through the PATH as a shell would: the launcher symlink, and the first `node`.
  timed(['status', '--json'], 'peerit', userEnv)
  const user = alternated({ status: () => timed(['status', '--json'], 'peerit', userEnv) }, () => timed(['-e', '0'], 'node', userEnv))
  const userNode = spawnSync('node', ['--version'], { env: userEnv, encoding: 'utf8' }).stdout.trim()
  timed([bin, 'stop'])
  const figures = {
    node: process.version,
    runs,
    pinned,
    userNode,
    user,
    startToReadyMedianMs: median(startMs),
    stopMedianMs: median(stopMs)
  }
  if (values.json === true) {
    console.log(JSON.stringify(figures, null, 2))
  } else {
    console.log(`Node ${figures.node}, ${runs} runs alternated; wall medians, pairwise ratios to node -e 0; CPU means`)
    console.log(`node -e 0                  ${line(pinned.reference)}`)
    console.log(`peerit status --json       ${line(pinned.commands.status)}`)
    if (pinned.commands.baselineStatus != null) {
      console.log(`  baseline ${baseline}: ${line(pinned.commands.baselineStatus)}`)
    }
    console.log(`as typed (PATH node ${userNode}):`)
    console.log(`  node -e 0                ${line(user.reference)}`)
    console.log(`  peerit status --json     ${line(user.commands.status)}`)
    if (userNode !== figures.node) {
      // bin/peerit execs the package's pinned Node, so the two sides of this ratio are different binaries.
      console.log(`  (peerit runs on the package's pinned Node, node -e 0 on the PATH's ${userNode}: different binaries; the pinned ratio above is like for like)`)
    }
    console.log(`peerit start → ready       ${figures.startToReadyMedianMs.toFixed(0)} ms (whole command)`)
    console.log(`peerit stop                ${figures.stopMedianMs.toFixed(0)} ms`)
  }
} finally {
  spawnSync(process.execPath, [bin, 'stop'], { cwd: dir, stdio: 'ignore' })
  await rm(dir, { recursive: true, force: true })
}
