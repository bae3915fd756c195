/**
 * Memory under load: one real PeerIT daemon (`peerit daemon`, its own
 * process) shares a file and serves it to many peers at once — each peer its
 * own libp2p node with its own peer id, all in this process, each fetching
 * every piece (verified) on its own connection the way the download manager
 * asks (runs of `piecesPerRequest` pieces, `maxRequestsPerPeer` at a time).
 * The daemon's resident memory is sampled from /proc while they download;
 * its peak (VmHWM) is the figure.
 *
 *   npx node bench/serve-many.ts [--peers 32] [--size 64MiB] [--daemon-node-options=--max-semi-space-size=8]
 *     [--requests-per-peer 2] [--daemon-limits '{"max_concurrent_file_requests":32}'] [--breakdown [--daemon-v8-flags='--flag …'] [--live]]
 *
 * `--daemon-node-options` is added to the daemon's NODE_OPTIONS (V8 flags),
 * `--daemon-limits` to its `limits` in peerConf.json, to compare settings on
 * the same workload; the daemon is otherwise started as `peerit start` starts
 * it (its flags and environment). `--daemon-v8-flags` (with `--breakdown`)
 * sets V8 flags that NODE_OPTIONS refuses, at the daemon's start. A BUSY answer is retried after a backoff, as
 * the download manager does. `--breakdown` preloads bench/memory-sampler.ts
 * into the daemon and prints what its RSS was made of at the peak; `--live`
 * adds the largest live set after a full GC (see the sampler).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { hashFile, peeritFile, pieceCount, verifyPiece } from '../protocols/file/index.ts'
import { DEFAULT_TUNABLES } from '../src/downloads/constants.ts'
import { backoff } from '../src/timing.ts'
import type { Manifest, PeeritFile } from '../protocols/file/index.ts'
import type { Connection } from '@libp2p/interface'

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '32' },
    size: { type: 'string', default: '64' },
    'daemon-node-options': { type: 'string', default: '' },
    'daemon-limits': { type: 'string', default: '{}' },
    'daemon-v8-flags': { type: 'string', default: '' },
    breakdown: { type: 'boolean', default: false },
    live: { type: 'boolean', default: false },
    'requests-per-peer': { type: 'string', default: String(DEFAULT_TUNABLES.maxRequestsPerPeer) }
  }
})
const peers = Number(values.peers)
const sizeMiB = Number.parseInt(values.size, 10)
const lanes = Number(values['requests-per-peer'])
const bin = fileURLToPath(new URL('../bin/peerit.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'peerit-bench-serve-'))
const breakdownFile = join(dir, 'memory-at-peak.json')
const sampler = fileURLToPath(new URL('memory-sampler.ts', import.meta.url))
const daemonNodeOptions = `${values['daemon-node-options']}${values.breakdown ? ` --import=${sampler}` : ''}`.trim()
const load = (): string => loadavg().map(figure => figure.toFixed(1)).join(' ')

function peerit (args: string[]): any {
  const env = {
    ...process.env,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${daemonNodeOptions}`.trim(),
    ...(values.breakdown ? { PEERIT_BENCH_MEMORY_OUT: breakdownFile, PEERIT_BENCH_V8_FLAGS: values['daemon-v8-flags'] } : {}),
    ...(values.breakdown && values.live ? { PEERIT_BENCH_LIVE: '1' } : {})
  }
  const result = spawnSync(process.execPath, [bin, ...args, '--json'], { cwd: dir, encoding: 'utf8', timeout: 120_000, env })
  if (result.status !== 0) {
    throw new Error(`peerit ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
  }
  return JSON.parse(result.stdout)
}

/** VmRSS and VmHWM (peak) of a process, MiB. */
async function memoryOf (pid: number): Promise<{ rss: number, peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

/** The daemon's highest RSS so far and its parts, as the sampler last wrote them (`--breakdown` only). */
async function memoryParts (): Promise<Record<string, any> | undefined> {
  return values.breakdown ? JSON.parse(await readFile(breakdownFile, 'utf8')) : undefined
}

/** One line of a sampler record, MiB. */
function describeParts (parts: Record<string, any> | undefined): string {
  if (parts == null) {
    return 'not sampled'
  }
  const mib = (figure: number): string => figure.toFixed(0)
  return `${mib(parts.rss)} MiB = V8 heap ${mib(parts.heapTotal)} (used ${mib(parts.heapUsed)}, new space ${parts.spaces.new_space}) + external ${mib(parts.external)} (array buffers ${mib(parts.arrayBuffers)}) + native ${mib(parts.native)}`
}

/** Fetches and verifies one run of pieces. */
async function fetchRun (service: PeeritFile, connection: Connection, contentId: string, manifest: Manifest, first: number, count: number): Promise<void> {
  for await (const piece of service.getPieces(connection.remotePeer, contentId, manifest, first, count)) {
    if (!verifyPiece(manifest, piece.index, piece.chunks)) {
      throw new Error(`piece ${piece.index} failed verification`)
    }
  }
}

let busy = 0

/** Runs a request again after a backoff while the daemon answers BUSY, as the download manager does. */
async function unlessBusy<T> (request: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request()
    } catch (err) {
      if ((err as Error).name !== 'BusyError') {
        throw err
      }
      busy++
      await sleep(backoff(attempt, DEFAULT_TUNABLES.retryBackoffMs, DEFAULT_TUNABLES.maxRetryBackoffMs))
    }
  }
}

try {
  await mkdir(join(dir, 'shared'))
  const source = join(dir, 'shared', 'big.bin')
  await writeFile(source, randomBytes(sizeMiB * 2 ** 20))
  const { contentId, manifestBytes } = await hashFile(source)
  // Every peer dials from 127.0.0.1: the per-IP connection rate must let them all in.
  await writeFile(join(dir, 'peerConf.json'), JSON.stringify({
    listening_ip: '127.0.0.1', listening_port: 0, shared_dir: './shared', download_dir: './downloads', limits: { inbound_connections_per_second: 1000, ...JSON.parse(values['daemon-limits']) }
  }))
  const loadBefore = load()
  const daemon = peerit(['start'])
  const idle = await memoryOf(daemon.pid)
  const idleParts = await memoryParts()
  const address = multiaddr(daemon.addresses[0])
  const nodes = await Promise.all(Array.from({ length: peers }, async () => createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [tls(), noise()],
    streamMuxers: [yamux()],
    // On a loaded machine a ping queued behind 64 busy streams can miss libp2p's adaptive
    // deadline, and a failed ping aborts the connection: this bench measures memory, not that.
    connectionMonitor: { abortConnectionOnPingFailure: false },
    services: { peeritFile: peeritFile() }
  })))
  // Connected one after another (the daemon admits a few handshakes at a time), then all download at once.
  const connections: Connection[] = []
  for (const node of nodes) {
    connections.push(await node.dial(address))
  }
  const connected = await memoryOf(daemon.pid)
  const connectedParts = await memoryParts()
  let peak = connected.rss
  const rssSampler = setInterval(() => {
    memoryOf(daemon.pid).then(({ rss }) => { peak = Math.max(peak, rss) }, () => {})
  }, 100)
  const started = performance.now()
  try {
    await Promise.all(nodes.map(async (node, index) => {
      const connection = connections[index]
      const service = node.services.peeritFile as PeeritFile
      const manifest = await unlessBusy(async () => service.getManifest(connection.remotePeer, contentId))
      const pieces = pieceCount(manifest)
      let next = 0
      await Promise.all(Array.from({ length: lanes }, async () => {
        for (let first = next; first < pieces; first = next) {
          // As the download manager sizes runs: what is left spread over every lane.
          const count = Math.min(DEFAULT_TUNABLES.piecesPerRequest, Math.ceil((pieces - first) / lanes))
          next = first + count
          await unlessBusy(async () => fetchRun(service, connection, contentId, manifest, first, count))
        }
      }))
    }))
  } finally {
    clearInterval(rssSampler)
  }
  const seconds = (performance.now() - started) / 1000
  const after = await memoryOf(daemon.pid)
  console.log(`${peers} peers × ${sizeMiB} MiB (manifest ${manifestBytes.byteLength} bytes), all at once, ${lanes} requests per peer at a time, node ${process.version}, daemon NODE_OPTIONS += '${values['daemon-node-options']}', V8 flags '${values['daemon-v8-flags']}', limits += ${values['daemon-limits']}`)
  console.log(`served ${(peers * sizeMiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(peers * sizeMiB * 2 ** 20 / 1e6 / seconds).toFixed(0)} MB/s in all), ${busy} BUSY answers retried; load ${loadBefore} before, ${load()} after`)
  console.log(`daemon RSS: idle ${idle.rss.toFixed(0)} MiB, ${peers} peers connected ${connected.rss.toFixed(0)} MiB, sampled peak ${peak.toFixed(0)} MiB, VmHWM ${after.peak.toFixed(0)} MiB (goal ≤ 300 MiB)`)
  if (values.breakdown) {
    const moments: Array<[string, Record<string, any> | undefined]> = [['idle', idleParts], ['connected', connectedParts], ['the peak', await memoryParts()]]
    for (const [moment, parts] of moments) {
      console.log(`RSS at ${moment}: ${describeParts(parts)}`)
    }
    const reclaim = (await memoryParts())?.reclaim
    if (reclaim?.count > 0) {
      console.log(`reclaim: ${reclaim.count} full GCs, ${reclaim.ms.toFixed(0)} ms in all`)
    }
    if (values.live) {
      const live = (await memoryParts())?.live
      console.log(`largest after a full GC: RSS ${live.rss.toFixed(0)}, heap used ${live.heapUsed.toFixed(0)}, external ${live.external.toFixed(0)} (array buffers ${live.arrayBuffers.toFixed(0)}) MiB`)
    }
  }
  await Promise.all(nodes.map(async node => node.stop()))
} catch (err) {
  const log = await readFile(join(dir, '.peerit', 'peerit.log'), 'utf8').catch(() => '')
  process.stderr.write(`the daemon's log ends:\n${log.split('\n').slice(-15).join('\n')}\n`)
  throw err
} finally {
  spawnSync(process.execPath, [bin, 'stop'], { cwd: dir, stdio: 'ignore', timeout: 30_000 })
  await rm(dir, { recursive: true, force: true })
}
