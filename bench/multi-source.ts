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
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { hashFile, peeritFile } from '../protocols/file/index.ts'
import { DownloadManager } from '../src/downloads/download-manager.ts'
import { Store } from '../src/store.ts'
import type { DownloadTunables } from '../src/downloads/download-manager.ts'
import type { ChildProcess } from 'node:child_process'

/** What the parent tells a child. */
type Role =
  { role: 'provider', source: string, uploadBytesPerSecond: number } |
  { role: 'receiver', dir: string, contentId: string, providers: string[], tunables: Partial<DownloadTunables> }

/** A receiver's report. */
interface Report {
  ms: number
  /** The receiver's CPU time (user + system): steadier than wall time on a busy machine. */
  cpuMs: number
  maxRssMiB: number
  providers: number
}

async function node (lookup?: Parameters<typeof peeritFile>[0]) {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [tls(), noise()],
    streamMuxers: [yamux()],
    services: { peeritFile: peeritFile(lookup) }
  })
}

async function provide (source: string, uploadBytesPerSecond: number): Promise<string> {
  const hashed = await hashFile(source)
  const { size } = await stat(source)
  const shared = { path: source, manifestBytes: hashed.manifestBytes, size, mtimeMs: hashed.mtimeMs }
  const provider = await node({ lookup: id => id === hashed.contentId ? shared : undefined, uploadBytesPerSecond })
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
    ...job.tunables
  })
  const start = performance.now()
  const result = await manager.download({ contentId: job.contentId, name: 'received.bin' })
  const ms = performance.now() - start
  await store.close()
  await receiver.stop()
  const { user, system } = process.cpuUsage()
  return { ms, cpuMs: (user + system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, providers: result.providers.length }
}

async function runChild (job: Role): Promise<void> {
  if (job.role === 'provider') {
    process.send?.(await provide(job.source, job.uploadBytesPerSecond))
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

async function runCase (source: string, contentId: string, capsMBps: number[], dir: string, tunables: Partial<DownloadTunables>): Promise<Report> {
  const providers = capsMBps.map(cap => spawnChild({ role: 'provider', source, uploadBytesPerSecond: cap * 1e6 }))
  try {
    const addresses = await Promise.all(providers.map(async child => reply<string>(child)))
    const receiverDir = await mkdtemp(join(dir, 'receiver-'))
    try {
      return await reply<Report>(spawnChild({ role: 'receiver', dir: receiverDir, contentId, providers: addresses, tunables }))
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
      sets: { type: 'string', default: '20;20,20,20;40,10,10' },
      runs: { type: 'string', default: '1' },
      dir: { type: 'string', default: tmpdir() },
      tunables: { type: 'string', default: '{}' }
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
    const sets = values.sets.split(';').map(set => set.split(',').map(Number))
    const label = (caps: number[]): string => caps.map(cap => cap === 0 ? '∞' : String(cap)).join('/')
    const best = new Map<string, Report>()
    for (let run = 1; run <= Number(values.runs); run++) {
      for (const caps of sets) {
        const report = await runCase(source, contentId, caps, dir, JSON.parse(values.tunables))
        console.log(`run ${run}: caps ${label(caps).padEnd(10)} MB/s ${(size / 1e6 / (report.ms / 1000)).toFixed(1).padStart(7)} MB/s  receiver CPU ${(report.cpuMs / 1000).toFixed(1)} s  peak RSS ${report.maxRssMiB.toFixed(0)} MiB  (${report.providers} supplied pieces)`)
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
