/**
 * The download manager end to end, one source versus several: the same file
 * from sets of providers with per-provider upload caps (each provider and the
 * receiver in its own process on 127.0.0.1), so the providers' uplinks, not
 * this machine's two cores, are the limit — as across real machines. The receiver is a full
 * DownloadManager (manifest, scheduling, verification, part file, fsync'ed
 * progress records, atomic rename), so its time and peak RSS are what a user
 * gets. Compare with bench/transfer.ts for the raw-stream baselines.
 *
 *   npx node bench/multi-source.ts --size 256MiB [--sets '20;20,20,20;40,10,10'] [--runs 1] [--dir /tmp]
 *     [--tunables '{"piecesPerRequest":16}']   (DownloadTunables to try)
 *
 * With `--rate 10MiB --seconds 30` it checks the download-side rate limit
 * instead: the receiver is paced at that rate (piece requests wait their turn)
 * and samples its verified bytes and RSS every second; the run prints the rate
 * over the whole span and over each 5 s window as a ratio to the target, and
 * the RSS at the start and the end (flat memory: pacing does not buffer).
 * Give a --size larger than rate × seconds so it is still running at the end.
 *
 * A set is the upload caps of its providers in MB/s (10^6 bytes), 0 for
 * uncapped; sets are separated by ';'. The bench prints each set's rate, a
 * set against the single provider with the same cap, and against the sum of
 * its caps.
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { hashFile, peeritFile } from '../protocols/file/index.ts'
import { DownloadManager } from '../src/downloads/download-manager.ts'
import { Store } from '../src/store.ts'
import { connectionEncrypters } from '../src/transport/index.ts'
import type { DownloadTunables } from '../src/downloads/download-manager.ts'
import type { ChildProcess } from 'node:child_process'

/** What the parent tells a child. */
type Role =
  { role: 'provider', source: string, uploadBytesPerSecond: number } |
  { role: 'receiver', dir: string, contentId: string, providers: string[], tunables: Partial<DownloadTunables>, pace?: Pace }

/** A paced run: the download rate, how long to sample it. */
interface Pace { bytesPerSecond: number, seconds: number }

/** One second's sample of a paced run. */
interface Sample { atMs: number, received: number, rssMiB: number }

/** A receiver's report. */
interface Report {
  ms: number
  /** The receiver's CPU time (user + system): steadier than wall time on a busy machine. */
  cpuMs: number
  maxRssMiB: number
  providers: number
  samples?: Sample[]
  /** Wall-clock span of the download (Date.now()), to line up with the providers' timelines. */
  startedAt?: number
  endedAt?: number
}

/** What a provider did during a case, from its file service's counters sampled every {@link TIMELINE_MS}. */
interface Timeline {
  bytesServed: number
  /** Date.now() of the first and the last sample that saw bytes go out. */
  firstByteAt: number
  lastByteAt: number
  /** Between those, time with no request being served (its uplink unused). */
  idleMs: number
}

const TIMELINE_MS = 5

async function node (lookup?: Parameters<typeof peeritFile>[0]) {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    // As the daemon has them (src/libp2p.ts)
    connectionEncrypters: connectionEncrypters(),
    streamMuxers: [yamux()],
    services: { peeritFile: peeritFile(lookup) }
  })
}

async function provide (source: string, uploadBytesPerSecond: number): Promise<{ address: string, timeline: () => Timeline }> {
  const hashed = await hashFile(source)
  const { size } = await stat(source)
  const shared = { path: source, manifestBytes: hashed.manifestBytes, size, mtimeMs: hashed.mtimeMs }
  const provider = await node({ lookup: id => id === hashed.contentId ? shared : undefined, uploadBytesPerSecond })
  const timeline: Timeline = { bytesServed: 0, firstByteAt: 0, lastByteAt: 0, idleMs: 0 }
  let idleSince: number | undefined
  setInterval(() => {
    const { bytesServed, active } = provider.services.peeritFile.stats
    const now = Date.now()
    if (bytesServed > timeline.bytesServed) {
      timeline.firstByteAt ||= now
      timeline.lastByteAt = now
      timeline.bytesServed = bytesServed
    }
    if (active === 0 && timeline.firstByteAt > 0) {
      idleSince ??= now
    } else if (active > 0 && idleSince != null) {
      timeline.idleMs += now - idleSince
      idleSince = undefined
    }
  }, TIMELINE_MS).unref()
  return { address: provider.getMultiaddrs()[0].toString(), timeline: () => timeline }
}

async function receive (job: Extract<Role, { role: 'receiver' }>): Promise<Report> {
  const receiver = await node()
  const providerIds: string[] = []
  for (const address of job.providers) {
    const ma = multiaddr(address)
    const peerId = ma.getComponents().find(c => c.name === 'p2p')?.value ?? ''
    providerIds.push(peerId)
    await receiver.dial(ma)
  }
  const store = new Store(join(job.dir, 'state'))
  await store.open()
  const manager = new DownloadManager({
    file: receiver.services.peeritFile,
    section: store.section('downloads'),
    downloadDir: join(job.dir, 'downloads'),
    providers: async () => providerIds,
    logger: receiver.logger,
    bytesPerSecond: job.pace?.bytesPerSecond,
    ...job.tunables
  })
  if (job.pace != null) {
    const samples = await samplePaced(manager, job.contentId, job.pace)
    await manager.stop()
    await store.close()
    await receiver.stop()
    return { ms: job.pace.seconds * 1000, cpuMs: 0, maxRssMiB: process.resourceUsage().maxRSS / 1024, providers: providerIds.length, samples }
  }
  const start = performance.now()
  const startedAt = Date.now()
  const result = await manager.download({ contentId: job.contentId, name: 'received.bin' })
  const ms = performance.now() - start
  const endedAt = Date.now()
  await store.close()
  await receiver.stop()
  const { user, system } = process.cpuUsage()
  return { ms, cpuMs: (user + system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, providers: result.providers.length, startedAt, endedAt }
}

/** Runs a paced download for `pace.seconds`, sampling verified bytes and RSS every second. */
async function samplePaced (manager: DownloadManager, contentId: string, pace: Pace): Promise<Sample[]> {
  let received = 0
  const start = performance.now()
  manager.download({ contentId, name: 'paced.bin' }, { onProgress: (progress) => { received = progress.received } }).catch(() => {})
  const samples: Sample[] = []
  for (let second = 1; second <= pace.seconds; second++) {
    await new Promise(resolve => setTimeout(resolve, start + second * 1000 - performance.now()))
    samples.push({ atMs: performance.now() - start, received, rssMiB: process.memoryUsage().rss / 2 ** 20 })
  }
  return samples
}

/** Prints a paced run: the rate over the span after a 2 s start, each 5 s window's, as ratios to the target; RSS at 5 s and at the end. */
function printPaced (samples: Sample[], pace: Pace): void {
  const rate = (from: Sample, to: Sample): number => (to.received - from.received) * 1000 / (to.atMs - from.atMs)
  const first = samples[1]
  const last = samples[samples.length - 1]
  const overall = rate(first, last)
  console.log(`paced at ${(pace.bytesPerSecond / 2 ** 20).toFixed(2)} MiB/s: ${(overall / 2 ** 20).toFixed(2)} MiB/s from ${(first.atMs / 1000).toFixed(0)} s to ${(last.atMs / 1000).toFixed(0)} s = ${(overall / pace.bytesPerSecond).toFixed(3)} of the target`)
  const windows: string[] = []
  for (let i = 1; i + 5 < samples.length; i += 5) {
    windows.push((rate(samples[i], samples[i + 5]) / pace.bytesPerSecond).toFixed(3))
  }
  console.log(`each 5 s window / target: ${windows.join(' ')}`)
  console.log(`receiver RSS: ${samples[Math.min(4, samples.length - 1)].rssMiB.toFixed(0)} MiB at 5 s, ${last.rssMiB.toFixed(0)} MiB at ${(last.atMs / 1000).toFixed(0)} s`)
}

async function runChild (job: Role): Promise<void> {
  if (job.role === 'provider') {
    const { address, timeline } = await provide(job.source, job.uploadBytesPerSecond)
    process.send?.(address)
    process.once('message', () => { process.send?.(timeline(), () => { process.exit(0) }) })
    return
  }
  const report = await receive(job)
  process.send?.(report, () => { process.exit(0) })
}

function spawnChild (job: Role): ChildProcess {
  // PEERIT_BENCH_PROFILE=<dir> writes a CPU profile of every child there.
  const profile = process.env.PEERIT_BENCH_PROFILE
  const execArgv = profile == null ? process.execArgv : [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${profile}`]
  return fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
}

async function reply<T> (child: ChildProcess): Promise<T> {
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => { throw new Error(`a child exited with ${code} before reporting`) })
  ])
  return message as T
}

async function runCase (source: string, contentId: string, capsMBps: number[], dir: string, tunables: Partial<DownloadTunables>, pace?: Pace): Promise<{ report: Report, timelines: Timeline[] }> {
  const providers = capsMBps.map(cap => spawnChild({ role: 'provider', source, uploadBytesPerSecond: cap * 1e6 }))
  let report: Report | undefined
  try {
    const addresses = await Promise.all(providers.map(async child => reply<string>(child)))
    const receiverDir = await mkdtemp(join(dir, 'receiver-'))
    try {
      report = await reply<Report>(spawnChild({ role: 'receiver', dir: receiverDir, contentId, providers: addresses, tunables, pace }))
    } finally {
      await rm(receiverDir, { recursive: true, force: true })
    }
  } finally {
    for (const child of providers) {
      child.send('stop')
    }
  }
  const timelines = await Promise.all(providers.map(async child => reply<Timeline>(child)))
  await Promise.all(providers.map(async child => child.exitCode ?? once(child, 'exit')))
  return { report, timelines }
}

/** One line per provider: its share, its rate while it served, its idle time inside that, and how long before the end it went quiet. */
function printTimelines (capsMBps: number[], timelines: Timeline[], report: Report): void {
  const total = timelines.reduce((sum, timeline) => sum + timeline.bytesServed, 0)
  timelines.forEach((timeline, i) => {
    const spanMs = Math.max(1, timeline.lastByteAt - timeline.firstByteAt)
    const startMs = timeline.firstByteAt - (report.startedAt ?? 0)
    const tailMs = (report.endedAt ?? 0) - timeline.lastByteAt
    console.log(`  provider ${i + 1} (cap ${capsMBps[i]}): ${(timeline.bytesServed / 2 ** 20).toFixed(0).padStart(4)} MiB (${(100 * timeline.bytesServed / total).toFixed(0)} %), ${(timeline.bytesServed / 1e3 / spanMs).toFixed(1)} MB/s over ${(spanMs / 1000).toFixed(2)} s from +${(startMs / 1000).toFixed(2)} s, idle ${timeline.idleMs} ms inside, quiet the last ${(tailMs / 1000).toFixed(2)} s`)
    console.log(`    ${(timeline.bytesServed / 1e3 / Math.max(1, spanMs - timeline.idleMs)).toFixed(1)} MB/s while serving = ${(timeline.bytesServed / 1e3 / Math.max(1, spanMs - timeline.idleMs) / capsMBps[i]).toFixed(2)} of its cap`)
  })
}

const UNITS: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }

/** `1GiB`, `256MiB`, `1000` (bytes). */
function parseSize (text: string): number {
  const [, amount, unit = 'B'] = /^(\d+(?:\.\d+)?)(B|KiB|MiB|GiB)?$/.exec(text) ?? []
  if (amount == null) {
    throw new Error(`bad size ${text}`)
  }
  return Math.round(Number(amount) * UNITS[unit])
}

/** Random bytes, 16 MiB at a time, so a 4 GiB source costs 16 MiB of memory. */
async function * randomBlocks (size: number): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; left -= 16 * 2 ** 20) {
    yield randomBytes(Math.min(left, 16 * 2 ** 20))
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      size: { type: 'string', default: '1GiB' },
      sets: { type: 'string', default: '20;20,20,20;40,10,10' },
      runs: { type: 'string', default: '1' },
      dir: { type: 'string', default: tmpdir() },
      tunables: { type: 'string', default: '{}' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '30' }
    }
  })
  if (values.child != null) {
    await runChild(JSON.parse(values.child) as Role)
    return
  }
  const size = parseSize(values.size)
  const dir = await mkdtemp(join(values.dir, 'peerit-multi-source-'))
  try {
    const source = join(dir, 'source.bin')
    await pipeline(randomBlocks(size), createWriteStream(source))
    const { contentId } = await hashFile(source)
    console.log(`${(size / 2 ** 20).toFixed(0)} MiB, DownloadManager end to end, node ${process.version}`)
    if (values.rate != null) {
      // one uncapped provider: the pace, not an uplink, must be the limit
      const providers = [0]
      // The ceiling first, in the same run: a pace is only checked where the machine can go faster.
      const { report: free } = await runCase(source, contentId, providers, dir, JSON.parse(values.tunables), { bytesPerSecond: 0, seconds: 5 })
      const samples = (free.samples ?? []).filter(sample => sample.received < size)
      const ceiling = samples.length < 2 ? Number.NaN : (samples[samples.length - 1].received - samples[0].received) * 1000 / (samples[samples.length - 1].atMs - samples[0].atMs)
      console.log(`unlimited: ${(ceiling / 2 ** 20).toFixed(1)} MiB/s over the first seconds`)
      const pace = { bytesPerSecond: parseSize(values.rate), seconds: Number(values.seconds) }
      const { report } = await runCase(source, contentId, providers, dir, JSON.parse(values.tunables), pace)
      printPaced(report.samples ?? [], pace)
      return
    }
    const sets = values.sets.split(';').map(set => set.split(',').map(Number))
    const label = (caps: number[]): string => caps.map(cap => cap === 0 ? '∞' : String(cap)).join('/')
    const best = new Map<string, Report>()
    for (let run = 1; run <= Number(values.runs); run++) {
      for (const caps of sets) {
        const { report, timelines } = await runCase(source, contentId, caps, dir, JSON.parse(values.tunables))
        console.log(`run ${run}: caps ${label(caps).padEnd(10)} MB/s ${(size / 1e6 / (report.ms / 1000)).toFixed(1).padStart(7)} MB/s  receiver CPU ${(report.cpuMs / 1000).toFixed(1)} s  peak RSS ${report.maxRssMiB.toFixed(0)} MiB  (${report.providers} supplied pieces)`)
        printTimelines(caps, timelines, report)
        if ((best.get(label(caps))?.ms ?? Infinity) > report.ms) {
          best.set(label(caps), report)
        }
      }
    }
    const rate = (caps: number[]): number => size / 1e6 / ((best.get(label(caps))?.ms ?? Infinity) / 1000)
    for (const caps of sets) {
      const single = sets.find(other => other.length === 1 && other[0] === caps[0])
      const sum = caps.reduce((total, cap) => total + cap, 0)
      const vsSingle = caps.length > 1 && single !== undefined && caps.every(cap => cap === caps[0])
        ? `, ${(rate(caps) / rate(single)).toFixed(2)}× one provider at ${label(single)}`
        : ''
      const vsSum = caps.every(cap => cap > 0) ? `, ${(rate(caps) / sum).toFixed(2)} × the sum of the caps (${sum} MB/s)` : ''
      console.log(`best ${label(caps)}: ${rate(caps).toFixed(1)} MB/s${vsSingle}${vsSum}`)
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
