/**
 * The download manager end to end, one source versus several: the same file
 * from 1 provider and from 3 providers at once, each provider and the
 * receiver in its own process on 127.0.0.1. The receiver is a full
 * DownloadManager (manifest, scheduling, verification, part file, fsync'ed
 * progress records, atomic rename), so its time and peak RSS are what a user
 * gets. Compare with bench/transfer.ts for the raw-stream baselines.
 *
 *   npx node bench/multi-source.ts --size 1GiB [--providers 1,3] [--runs 1] [--dir /tmp]
 *     [--tunables '{"piecesPerRequest":16}']   (DownloadTunables to try)
 *
 * With `--rate 10MiB --seconds 30` it checks the download-side rate limit
 * instead: the receiver is paced at that rate (piece requests wait their turn)
 * and samples its verified bytes and RSS every second; the run prints the rate
 * over the whole span and over each 5 s window as a ratio to the target, and
 * the RSS at the start and the end (flat memory: pacing does not buffer).
 * Give a --size larger than rate × seconds so it is still running at the end.
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
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { hashFile, peeritFile } from '../protocols/file/index.ts'
import { DownloadManager } from '../src/downloads/download-manager.ts'
import { Store } from '../src/store.ts'
import type { DownloadTunables } from '../src/downloads/download-manager.ts'
import type { ChildProcess } from 'node:child_process'

/** What the parent tells a child. */
type Role =
  { role: 'provider', source: string } |
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
}

async function node (lookup?: Parameters<typeof peeritFile>[0]) {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { peeritFile: peeritFile(lookup) }
  })
}

async function provide (source: string): Promise<string> {
  const hashed = await hashFile(source)
  const { size } = await stat(source)
  const shared = { path: source, manifestBytes: hashed.manifestBytes, size, mtimeMs: hashed.mtimeMs }
  const provider = await node({ lookup: id => id === hashed.contentId ? shared : undefined })
  return provider.getMultiaddrs()[0].toString()
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
  const result = await manager.download({ contentId: job.contentId, name: 'received.bin' })
  const ms = performance.now() - start
  await store.close()
  await receiver.stop()
  const { user, system } = process.cpuUsage()
  return { ms, cpuMs: (user + system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, providers: result.providers.length }
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
    process.send?.(await provide(job.source))
    process.once('message', () => { process.exit(0) })
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

async function runCase (source: string, contentId: string, count: number, dir: string, tunables: Partial<DownloadTunables>, pace?: Pace): Promise<Report> {
  const providers = Array.from({ length: count }, () => spawnChild({ role: 'provider', source }))
  try {
    const addresses = await Promise.all(providers.map(async child => reply<string>(child)))
    const receiverDir = await mkdtemp(join(dir, 'receiver-'))
    try {
      return await reply<Report>(spawnChild({ role: 'receiver', dir: receiverDir, contentId, providers: addresses, tunables, pace }))
    } finally {
      await rm(receiverDir, { recursive: true, force: true })
    }
  } finally {
    for (const child of providers) {
      child.send('stop')
    }
    await Promise.all(providers.map(async child => once(child, 'exit')))
  }
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
      providers: { type: 'string', default: '1,3' },
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
      const providers = Number(values.providers.split(',')[0])
      // The ceiling first, in the same run: a pace is only checked where the machine can go faster.
      const free = await runCase(source, contentId, providers, dir, JSON.parse(values.tunables), { bytesPerSecond: 0, seconds: 5 })
      const samples = (free.samples ?? []).filter(sample => sample.received < size)
      const ceiling = samples.length < 2 ? Number.NaN : (samples[samples.length - 1].received - samples[0].received) * 1000 / (samples[samples.length - 1].atMs - samples[0].atMs)
      console.log(`unlimited: ${(ceiling / 2 ** 20).toFixed(1)} MiB/s over the first seconds`)
      const pace = { bytesPerSecond: parseSize(values.rate), seconds: Number(values.seconds) }
      const report = await runCase(source, contentId, providers, dir, JSON.parse(values.tunables), pace)
      printPaced(report.samples ?? [], pace)
      return
    }
    const best = new Map<number, Report>()
    for (let run = 1; run <= Number(values.runs); run++) {
      for (const count of values.providers.split(',').map(Number)) {
        const report = await runCase(source, contentId, count, dir, JSON.parse(values.tunables))
        console.log(`run ${run}: ${count} provider(s) ${(size / 1e6 / (report.ms / 1000)).toFixed(0).padStart(6)} MB/s  receiver CPU ${(report.cpuMs / 1000).toFixed(1)} s  peak RSS ${report.maxRssMiB.toFixed(0)} MiB  (${report.providers} supplied pieces)`)
        if ((best.get(count)?.ms ?? Infinity) > report.ms) {
          best.set(count, report)
        }
      }
    }
    const single = best.get(1)
    for (const [count, report] of best) {
      if (single != null && count !== 1) {
        console.log(`best ${count} providers / 1 provider = ${(single.ms / report.ms).toFixed(2)}`)
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
