/**
 * Fetch flood benchmark: one attacker sends fetch requests with fresh ids at
 * a victim (default 10,000 per second for 10 s) while an honest peer keeps
 * fetching through the victim (honest — victim — provider). The victim and
 * the attacker each run in a child process, so the victim's CPU is its own.
 * One row per limit set: none, the rate limit alone, and PeerIT's defaults
 * (rate limit + strikes and ban).
 *
 *   npx node bench/fetch-flood.ts [--rate 10000] [--seconds 10] [--json]
 */
import { fork } from 'node:child_process'
import { parseArgs } from 'node:util'
import { multiaddr } from '@multiformats/multiaddr'
import { PROTOCOL } from '../protocols/fetch/index.ts'
import { DEFAULT_LIMITS } from '../src/limits.ts'
import { requestFrame } from '../test/fixtures/fetch-network.ts'
import { startLimitedNode } from '../test/fixtures/limits.ts'
import type { PeeritFetch } from '../protocols/fetch/index.ts'
import type { PeerLimits } from '../src/limits.ts'
import type { Libp2p } from '@libp2p/interface'
import type { ChildProcess } from 'node:child_process'

/** What the victim reports at the end of the attack. */
interface VictimReport {
  cpuPercent: number
  requestsReceived: number
  rateLimited: number
  seenCacheSize: number
  bans: number
  rssMiB: number
}

/** What the attacker reports at the end. */
interface AttackerReport {
  sent: number
  failedToOpen: number
  /** Why streams failed to open, by error name. */
  errors: Record<string, number>
}

const VICTIM_FILES = [{ id: 'ab'.repeat(32), name: 'victim-song.mp3', size: 1000, type: 'music' }]
const PROVIDER_FILES = [{ id: 'cd'.repeat(32), name: 'provider-notes.pdf', size: 2000, type: 'document' }]

/** The limit sets compared, one row each. */
const CASES: Array<{ name: string, limits: Partial<PeerLimits> }> = [
  { name: 'no limits', limits: { fetchRequestsPerMinute: 0, strikesBeforeBan: 0, maxConcurrentFetches: 100_000, maxConcurrentFetchesPerPeer: 10_000 } },
  { name: 'rate limit only', limits: { strikesBeforeBan: 0 } },
  { name: 'defaults (rate + ban)', limits: {} }
]

function onMessage<T> (child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (message: { type: string, value: T }): void => {
      if (message.type === type) {
        child.off('message', listener)
        resolve(message.value)
      }
    }
    child.on('message', listener)
    child.once('exit', code => { reject(new Error(`child exited (${code}) before '${type}'`)) })
  })
}

/** The victim child: a PeerIT libp2p stack with the given limits; reports CPU and counters when asked. */
async function runVictim (limits: Partial<PeerLimits>): Promise<void> {
  const node = await startLimitedNode(limits, VICTIM_FILES)
  let cpuStart = process.cpuUsage()
  let wallStart = performance.now()
  process.on('message', (message: { type: string }) => {
    if (message.type === 'start') {
      cpuStart = process.cpuUsage()
      wallStart = performance.now()
    } else if (message.type === 'report') {
      const cpu = process.cpuUsage(cpuStart)
      const stats = node.libp2p.services.peeritFetch.stats
      const report: VictimReport = {
        cpuPercent: Math.round((cpu.user + cpu.system) / 10 / (performance.now() - wallStart)),
        requestsReceived: stats.requestsReceived,
        rateLimited: stats.rateLimited,
        seenCacheSize: stats.seenCacheSize,
        bans: node.guard.bans().length,
        rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20)
      }
      process.send?.({ type: 'report', value: report })
    } else if (message.type === 'stop') {
      void Promise.resolve(node.libp2p.stop()).then(() => process.exit(0))
    }
  })
  process.send?.({ type: 'ready', value: node.libp2p.getMultiaddrs()[0].toString() })
}

/** The attacker child: fresh-id requests at `rate` per second for `seconds`, never reading the answers. */
async function runAttacker (target: string, rate: number, seconds: number): Promise<void> {
  const { libp2p } = await startLimitedNode()
  // not serving fetch lifts our own per-connection stream cap: the victim's limits are what is measured
  await libp2p.unhandle(PROTOCOL)
  const address = multiaddr(target)
  const report: AttackerReport = { sent: 0, failedToOpen: 0, errors: {} }
  let inFlight = 0
  const sendOne = async (): Promise<void> => {
    inFlight++
    try {
      const stream = await libp2p.dialProtocol(address, PROTOCOL, { signal: AbortSignal.timeout(2_000), maxOutboundStreams: 1_000_000 })
      stream.send(requestFrame({ ttl: 7 }))
      report.sent++
      stream.close().catch(() => {})
      // a flood does not read the answers: drop the stream a moment later
      setTimeout(() => { stream.abort(new Error('flood')) }, 100).unref()
    } catch (err) {
      report.failedToOpen++
      const name = (err as Error).name
      report.errors[name] = (report.errors[name] ?? 0) + 1
    } finally {
      inFlight--
    }
  }
  const tickMs = 10
  const perTick = Math.max(1, Math.round(rate * tickMs / 1000))
  const endAt = performance.now() + seconds * 1000
  while (performance.now() < endAt) {
    const tickStart = performance.now()
    // bounded in flight, so a slow victim makes us send less rather than exhaust our own memory
    // eslint-disable-next-line no-unmodified-loop-condition -- sendOne() counts itself in before its first await
    for (let i = 0; i < perTick && inFlight < 4_000; i++) {
      void sendOne()
    }
    await new Promise(resolve => setTimeout(resolve, Math.max(0, tickMs - (performance.now() - tickStart))))
  }
  process.send?.({ type: 'report', value: report })
  await libp2p.stop()
  process.exit(0)
}

/** Fetches through the victim until `until`; returns the completed count and latencies. */
async function honestFetches (honest: Libp2p<{ peeritFetch: PeeritFetch }>, providerId: string, until: number): Promise<{ attempted: number, complete: number, latencies: number[] }> {
  const result = { attempted: 0, complete: 0, latencies: [] as number[] }
  while (performance.now() < until) {
    result.attempted++
    const startedAt = performance.now()
    try {
      const found = await honest.services.peeritFetch.fetch({ ttl: 2, timeoutMs: 5_000 })
      // complete = the answer came back through the victim from the provider behind it
      if (found.records.some(record => record.peerId === providerId)) {
        result.complete++
        result.latencies.push(performance.now() - startedAt)
      }
    } catch {
      // counted as not complete
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return result
}

function percentile (values: number[], p: number): number {
  if (values.length === 0) {
    return NaN
  }
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))])
}

async function runCase (name: string, limits: Partial<PeerLimits>, rate: number, seconds: number): Promise<Record<string, string | number>> {
  const victim = fork(import.meta.filename, ['victim', JSON.stringify(limits)])
  try {
    const address = await onMessage<string>(victim, 'ready')
    const honest = await startLimitedNode({}, [])
    const provider = await startLimitedNode({}, PROVIDER_FILES)
    try {
      await honest.libp2p.dial(multiaddr(address))
      await provider.libp2p.dial(multiaddr(address))
      // a baseline without attack: the honest latency to compare with
      const quiet = await honestFetches(honest.libp2p, provider.libp2p.peerId.toString(), performance.now() + 2_000)
      victim.send({ type: 'start' })
      const attacker = fork(import.meta.filename, ['attacker', address, String(rate), String(seconds)])
      const attackerReport = onMessage<AttackerReport>(attacker, 'report')
      const during = await honestFetches(honest.libp2p, provider.libp2p.peerId.toString(), performance.now() + seconds * 1000)
      const sent = await attackerReport
      victim.send({ type: 'report' })
      const report = await onMessage<VictimReport>(victim, 'report')
      return {
        case: name,
        'attack requests sent': sent.sent,
        'not opened': sent.failedToOpen,
        why: Object.entries(sent.errors).map(([name, count]) => `${name}×${count}`).join(' '),
        'sent per s': Math.round(sent.sent / seconds),
        'past the limiter': report.requestsReceived,
        'rate-limited': report.rateLimited,
        'victim CPU %': report.cpuPercent,
        'victim RSS MiB': report.rssMiB,
        'seen-cache': report.seenCacheSize,
        banned: report.bans,
        'honest ok / tried': `${during.complete}/${during.attempted}`,
        'honest p50 / p95 ms': `${percentile(during.latencies, 0.5)} / ${percentile(during.latencies, 0.95)}`,
        'quiet p50 ms': percentile(quiet.latencies, 0.5)
      }
    } finally {
      await honest.libp2p.stop()
      await provider.libp2p.stop()
    }
  } finally {
    victim.send({ type: 'stop' })
  }
}

const role = process.argv[2]
if (role === 'victim') {
  await runVictim(JSON.parse(process.argv[3]) as Partial<PeerLimits>)
} else if (role === 'attacker') {
  await runAttacker(process.argv[3], Number(process.argv[4]), Number(process.argv[5]))
} else {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false }
    }
  })
  const rows = []
  for (const { name, limits } of CASES) {
    rows.push(await runCase(name, limits, Number(values.rate), Number(values.seconds)))
  }
  if (values.json) {
    console.log(JSON.stringify({ defaults: DEFAULT_LIMITS, rows }))
  } else {
    console.table(rows)
  }
}
