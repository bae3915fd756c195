/**
 * `npm run chaos`: a network of real PeerIT daemons on 127.0.0.1 under
 * crashes, restarts and link cuts while users fetch, search and download;
 * prints what it did and which invariants held, and exits 1 if any was
 * violated (2 on bad flags or when the network could not even be built).
 *
 *   npm run chaos -- --peers 10 --seconds 120 --seed 42 --json
 */
import { parseArgs } from 'node:util'
import { DEFAULT_CHAOS_OPTIONS, runChaos } from './chaos.ts'
import { formatReport } from './ledger.ts'
import type { ChaosNetwork } from './network.ts'

const USAGE = `usage: node test/chaos/run.ts [--peers N] [--seconds S] [--seed N] [--max-file-size BYTES] [--users N] [--keep] [--json]
  --peers N            daemons to run (default ${DEFAULT_CHAOS_OPTIONS.peers}, at least 2)
  --seconds S          length of the disruptive phase (default ${DEFAULT_CHAOS_OPTIONS.seconds})
  --seed N             seed of every random choice (default: random, printed)
  --max-file-size B    largest shared file in bytes (default ${DEFAULT_CHAOS_OPTIONS.maxFileSize})
  --users N            simulated users acting at once (default ${DEFAULT_CHAOS_OPTIONS.users})
  --keep               keep the peers' folders (logs, databases) when an invariant is violated
  --json               print one JSON object of the figures on stdout (progress goes to stderr)`

function positiveInteger (value: string | undefined, name: string, fallback: number, min = 1): number {
  if (value == null) {
    return fallback
  }
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < min) {
    process.stderr.write(`--${name} must be a whole number of at least ${min}\n${USAGE}\n`)
    process.exit(2)
  }
  return number
}

let values
try {
  ({ values } = parseArgs({
    options: {
      peers: { type: 'string' },
      seconds: { type: 'string' },
      seed: { type: 'string' },
      'max-file-size': { type: 'string' },
      users: { type: 'string' },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    }
  }))
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
  process.exit(2)
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}

const controller = new AbortController()
let network: ChaosNetwork | undefined
// First Ctrl-C: end the chaos early, still check and tear down. Second: kill everything now.
process.on('SIGINT', () => {
  if (!controller.signal.aborted) {
    process.stderr.write('\ninterrupted: checking and tearing down (Ctrl-C again to kill everything now)\n')
    controller.abort()
    return
  }
  network?.killAllSync()
  process.exit(130)
})
process.on('SIGTERM', () => {
  network?.killAllSync()
  process.exit(143)
})

const started = Date.now()
const options = {
  ...DEFAULT_CHAOS_OPTIONS,
  peers: positiveInteger(values.peers, 'peers', DEFAULT_CHAOS_OPTIONS.peers, 2),
  seconds: positiveInteger(values.seconds, 'seconds', DEFAULT_CHAOS_OPTIONS.seconds),
  seed: positiveInteger(values.seed, 'seed', Math.floor(Math.random() * 2 ** 31), 0),
  maxFileSize: positiveInteger(values['max-file-size'], 'max-file-size', DEFAULT_CHAOS_OPTIONS.maxFileSize, DEFAULT_CHAOS_OPTIONS.minFileSize),
  users: positiveInteger(values.users, 'users', DEFAULT_CHAOS_OPTIONS.users),
  keepOnFailure: values.keep,
  log: (line: string) => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`) },
  signal: controller.signal
}

try {
  const report = await runChaos(options, (created) => { network = created })
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`)
  process.exitCode = report.ok ? 0 : 1
} catch (err) {
  process.stderr.write(`the chaos run could not run: ${(err as Error).stack ?? String(err)}\n`)
  network?.killAllSync()
  process.exitCode = 2
}
