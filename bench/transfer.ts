/**
 * 1 GiB (or `--size`) from one process to another on 127.0.0.1, side by side:
 *
 *   (a) raw libp2p stream, receiver discards       — the transport's ceiling
 *   (b) raw libp2p stream written to a file        — what a naive app gets
 *   (c) PeerIT getPieces, every piece verified, written at its offset
 *   (d) plain TCP (node:net) written to a file     — no libp2p at all
 *   (e) a whole PeerIT download (DownloadManager)   — what `peerit download` does
 *
 * Every case has its own sender and receiver child process, so the receiver's
 * peak RSS (`maxRSS`) is its own. Usage:
 *
 *   npx node bench/transfer.ts --size 1GiB [--cases a,b,c,d,e] [--encrypters noise,tls] [--runs 1] [--dir /tmp]
 *     [--tunables '{"piecesPerRequest":16}']   (DownloadTunables for case e)
 *     [--tunables '[{}, {"piecesPerRequest":32}]']   (several: case e runs once per set, e0, e1 …)
 *
 * Each libp2p case runs once per encrypter in the list (both ends offering only that one).
 * `PEERIT_BENCH_PROFILE=<dir>` writes a CPU profile of every child there, and
 * `PEERIT_BENCH_COUNTERS=1` prints a line of counters per receiver (streams,
 * frames, pauses, writes, syncs, gaps between requests: bench/transfer-counters.ts).
 * Besides the receiver's CPU time each line shows the sender's (from its first
 * request to the end): on a shared machine CPU per byte is steadier than a rate.
 *
 * Extension point: a case is a `{ key, name, sender, receiver }` entry in
 * CASES; a sender role starts one provider and reports its address. A
 * multi-source case (the download manager) adds an entry that starts several
 * senders (see `startSenders`) and one receiver given all their addresses.
 */
import { fork } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { tls } from '@libp2p/tls'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { decodeManifest, hashFile, peeritFile, pieceCount, verifyPiece } from '../protocols/file/index.ts'
import { sendBufferBelow } from '../protocols/shared/back-pressure.ts'
import { daemonProcessEnv } from '../src/daemon/process-env.ts'
import { DownloadManager } from '../src/downloads/index.ts'
import { Store } from '../src/store.ts'
import { adaptEncrypter } from '../src/transport/adapt-encrypter.ts'
import { coalesceWrites, coalescingEncrypter } from '../src/transport/coalesce-writes.ts'
import { connectionEncrypters } from '../src/transport/index.ts'
import { socketTls } from '../src/transport/socket-tls.ts'
import type { PeeritFile } from '../protocols/file/index.ts'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { ChildProcess } from 'node:child_process'

const RAW_PROTOCOL = '/peerit-bench/raw/1.0'
const CHUNK = 256 * 1024

/** What the parent hands every child. */
interface Job {
  role: 'sender' | 'receiver'
  key: string
  source: string
  output: string
  size: number
  manifestPath: string
  contentId: string
  mtimeMs: number
  /** Receivers: the sender addresses (multiaddrs, or host:port for TCP). */
  addresses: string[]
  /** The connection encrypter of the libp2p cases. */
  encrypter: Encrypter
  /** DownloadTunables for case (e), to measure a lever. */
  tunables: Record<string, unknown>
}

/** What a sender reports when it is told to stop: its CPU time since it was ready. */
interface SenderReport {
  cpuMs: number
}

/**
 * The encrypters a libp2p case can run over (both ends offer only this one);
 * `tls-joined`: with PeerIT's joined writes into TLS (src/transport/coalesce-writes.ts), `+tcp` into TCP too;
 * `tls-socket`: TLS on the TCP socket itself (src/transport/socket-tls.ts);
 * `node`: a PeerIT node's own first choice, exactly as src/libp2p.ts builds it.
 */
const ENCRYPTERS = {
  noise,
  tls,
  'tls-joined': () => coalescingEncrypter(tls(), { transport: false, secured: true }),
  'tls-joined+tcp': () => coalescingEncrypter(tls(), { transport: true, secured: true }),
  // TLS run by OpenSSL on the TCP socket (src/transport/socket-tls.ts), alone and with joined writes
  // forced on (a node joins only where TLS runs over a JavaScript stream)
  'tls-socket': socketTls,
  'tls-socket-joined': () => adaptEncrypter(socketTls(), { afterHandshake: secured => { coalesceWrites(secured.connection) } }),
  node: () => connectionEncrypters()[0]
} as const
type Encrypter = keyof typeof ENCRYPTERS

/** A receiver's report. */
interface Result {
  bytes: number
  ms: number
  /** The receiver's CPU time (user + system) for the transfer: steadier than wall time on a busy machine. */
  cpuMs: number
  maxRssMiB: number
  /** The senders' CPU time together, from ready to stop. */
  senderCpuMs?: number
}

interface Case {
  key: string
  name: string
  sender: (job: Job) => Promise<string>
  receiver: (job: Job) => Promise<number>
  /** False for the cases without libp2p (run once, whatever the encrypters). */
  libp2p: boolean
}

const CASES: Case[] = [
  { key: 'a', name: 'raw libp2p stream, discard', sender: rawSender, receiver: rawDiscard, libp2p: true },
  { key: 'b', name: 'raw libp2p stream → file', sender: rawSender, receiver: rawToFile, libp2p: true },
  { key: 'c', name: 'PeerIT getPieces + verify → file', sender: peeritSender, receiver: peeritReceiver, libp2p: true },
  { key: 'd', name: 'plain TCP → file', sender: tcpSender, receiver: tcpReceiver, libp2p: false },
  { key: 'e', name: 'PeerIT download (DownloadManager) → file', sender: peeritSender, receiver: downloadReceiver, libp2p: true }
]

async function libp2pNode (job: Job, services: { peeritFile?: ReturnType<typeof peeritFile> } = {}): Promise<Libp2p<{ peeritFile?: PeeritFile }>> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [ENCRYPTERS[job.encrypter]()],
    streamMuxers: [yamux()],
    services
  })
}

/**
 * Sends the file on a raw stream as fast as back-pressure allows, reading it
 * the way the PeerIT server does (`stream.onDrain()` would not bound the send
 * buffer: see protocols/shared/back-pressure.ts).
 */
async function rawSender (job: Job): Promise<string> {
  const node = await libp2pNode(job)
  const signal = new AbortController().signal
  await node.handle(RAW_PROTOCOL, async (stream: Stream) => {
    const handle = await open(job.source, 'r')
    try {
      for (let position = 0; position < job.size;) {
        const buffer = Buffer.allocUnsafeSlow(Math.min(CHUNK, job.size - position))
        const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position)
        position += bytesRead
        stream.send(buffer.subarray(0, bytesRead))
        await sendBufferBelow(stream, CHUNK, signal)
      }
      await stream.close()
    } finally {
      await handle.close()
    }
  })
  return node.getMultiaddrs()[0].toString()
}

async function rawStream (job: Job): Promise<{ node: Libp2p, stream: Stream }> {
  const node = await libp2pNode(job)
  const stream = await node.dialProtocol(multiaddr(job.addresses[0]), RAW_PROTOCOL)
  await stream.close()
  return { node, stream }
}

async function rawDiscard (job: Job): Promise<number> {
  const { node, stream } = await rawStream(job)
  let bytes = 0
  for await (const chunk of stream) {
    bytes += chunk.byteLength
  }
  await node.stop()
  return bytes
}

async function rawToFile (job: Job): Promise<number> {
  const { node, stream } = await rawStream(job)
  const file = createWriteStream(job.output)
  let bytes = 0
  for await (const chunk of stream) {
    bytes += chunk.byteLength
    if (!file.write(chunk.subarray())) {
      await once(file, 'drain')
    }
  }
  file.end()
  await once(file, 'close')
  await node.stop()
  return bytes
}

async function peeritSender (job: Job): Promise<string> {
  const manifestBytes = await readFile(job.manifestPath)
  const source = { path: job.source, manifestBytes, size: job.size, mtimeMs: job.mtimeMs }
  const node = await libp2pNode(job, { peeritFile: peeritFile({ lookup: id => id === job.contentId ? source : undefined }) })
  return node.getMultiaddrs()[0].toString()
}

/** What a download does for one provider: manifest, then every piece verified and written at its offset. */
async function peeritReceiver (job: Job): Promise<number> {
  const node = await libp2pNode(job, { peeritFile: peeritFile() })
  const connection = await node.dial(multiaddr(job.addresses[0]))
  const service = node.services.peeritFile as PeeritFile
  const manifest = await service.getManifest(connection.remotePeer, job.contentId)
  const handle = await open(job.output, 'w')
  let bytes = 0
  try {
    for await (const piece of service.getPieces(connection.remotePeer, job.contentId, manifest, 0, pieceCount(manifest))) {
      if (!verifyPiece(manifest, piece.index, piece.chunks)) {
        throw new Error(`piece ${piece.index} failed verification`)
      }
      await handle.writev(piece.chunks, piece.index * manifest.pieceSize)
      bytes += piece.byteLength
    }
  } finally {
    await handle.close()
  }
  await node.stop()
  return bytes
}

/** A whole PeerIT download: manifest, scheduling, verification, part file, fsync'ed state, atomic rename. */
async function downloadReceiver (job: Job): Promise<number> {
  const node = await libp2pNode(job, { peeritFile: peeritFile() })
  const connection = await node.dial(multiaddr(job.addresses[0]))
  const store = new Store(`${job.output}.state`)
  await store.open()
  const manager = new DownloadManager({
    file: node.services.peeritFile as PeeritFile,
    section: store.section('downloads'),
    downloadDir: dirname(job.output),
    providers: async () => [connection.remotePeer.toString()],
    logger: node.logger,
    ...job.tunables
  })
  try {
    return (await manager.download({ contentId: job.contentId, name: basename(job.output) })).size
  } finally {
    await store.close()
    await node.stop()
  }
}

async function tcpSender (job: Job): Promise<string> {
  const server = createServer(socket => {
    pipeline(createReadStream(job.source, { highWaterMark: CHUNK }), socket).catch(() => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address == null || typeof address === 'string') {
    throw new Error('no TCP address')
  }
  return `127.0.0.1:${address.port}`
}

async function tcpReceiver (job: Job): Promise<number> {
  const [host, port] = job.addresses[0].split(':')
  const socket = createConnection({ host, port: Number(port) })
  let bytes = 0
  socket.on('data', (chunk: Buffer) => { bytes += chunk.byteLength })
  await pipeline(socket, createWriteStream(job.output))
  return bytes
}

// ── child side ─────────────────────────────────────────────────────────────

async function runChild (job: Job): Promise<void> {
  const benchCase = CASES.find(c => c.key === job.key)
  if (benchCase == null) {
    throw new Error(`unknown case ${job.key}`)
  }
  if (job.role === 'sender') {
    const address = await benchCase.sender(job)
    const ready = process.cpuUsage()
    process.send?.({ address })
    // The parent says when the case is done; exiting (not being killed) lets --cpu-prof write.
    process.once('message', () => {
      const { user, system } = process.cpuUsage(ready)
      const report: SenderReport = { cpuMs: (user + system) / 1000 }
      process.send?.(report, () => { process.exit(0) })
    })
    return
  }
  const start = performance.now()
  const cpu = process.cpuUsage()
  const bytes = await benchCase.receiver(job)
  const ms = performance.now() - start
  const { user, system } = process.cpuUsage(cpu)
  const result: Result = { bytes, ms, cpuMs: (user + system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024 }
  process.send?.(result, () => { process.exit(0) })
}

// ── parent side ────────────────────────────────────────────────────────────

function spawnChild (job: Job): ChildProcess {
  // PEERIT_BENCH_PROFILE=<dir> writes a CPU profile of every child there;
  // PEERIT_BENCH_COUNTERS=1 makes every receiver print what it did (bench/transfer-counters.ts).
  const profile = process.env.PEERIT_BENCH_PROFILE
  const execArgv = [
    ...process.execArgv,
    ...(profile == null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
    ...(process.env.PEERIT_BENCH_COUNTERS == null ? [] : ['--import', new URL('./transfer-counters.ts', import.meta.url).href])
  ]
  // A download runs in the daemon, so its receiver gets the daemon's memory settings (src/daemon/process-env.ts).
  const env = job.role === 'receiver' && job.key.startsWith('e') ? daemonProcessEnv() : process.env
  return fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env })
}

async function firstMessage<T> (child: ChildProcess): Promise<T> {
  const [message] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => { throw new Error(`child exited with ${code} before reporting`) })
  ])
  return message as T
}

/** Starts `count` sender processes for a case; returns them with their addresses. */
async function startSenders (job: Job, count: number): Promise<Array<{ child: ChildProcess, address: string }>> {
  return Promise.all(Array.from({ length: count }, async () => {
    const child = spawnChild({ ...job, role: 'sender' })
    const { address } = await firstMessage<{ address: string }>(child)
    return { child, address }
  }))
}

async function runCase (benchCase: Case, base: Omit<Job, 'role' | 'key' | 'addresses'>): Promise<Result> {
  const job = { ...base, key: benchCase.key, addresses: [] }
  const senders = await startSenders({ ...job, role: 'sender' }, 1)
  try {
    const receiver = spawnChild({ ...job, role: 'receiver', addresses: senders.map(s => s.address) })
    const result = await firstMessage<Result>(receiver)
    if (result.bytes !== base.size) {
      throw new Error(`${benchCase.name}: received ${result.bytes} of ${base.size} bytes`)
    }
    const reports = await Promise.all(senders.map(async ({ child }) => stopSender(child)))
    return { ...result, senderCpuMs: reports.reduce((sum, report) => sum + (report?.cpuMs ?? 0), 0) }
  } finally {
    await Promise.all(senders.map(async ({ child }) => stopSender(child)))
    await rm(base.output, { force: true })
  }
}

/** Tells a sender to stop and waits for its report (undefined if it is already gone or does not answer). */
async function stopSender (child: ChildProcess): Promise<SenderReport | undefined> {
  if (child.exitCode != null || child.signalCode != null || !child.connected) {
    return undefined
  }
  const exited = once(child, 'exit')
  const report = firstMessage<SenderReport>(child).catch(() => undefined)
  child.send('stop')
  const reported = await Promise.race([report, new Promise<undefined>(resolve => setTimeout(() => { resolve(undefined) }, 5000).unref())])
  await Promise.race([exited, new Promise(resolve => setTimeout(resolve, 5000).unref())])
  child.kill()
  return reported
}

function parseSize (text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB)?$/i.exec(text)
  if (match == null) {
    throw new Error(`bad size ${text}`)
  }
  const units: Record<string, number> = { b: 1, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 }
  return Math.round(Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()])
}

async function writeRandomFile (path: string, size: number): Promise<void> {
  const handle = await open(path, 'w')
  const block = Buffer.allocUnsafe(16 * 1024 * 1024)
  try {
    for (let written = 0; written < size; written += block.byteLength) {
      randomFillSync(block)
      await handle.write(block, 0, Math.min(block.byteLength, size - written))
    }
  } finally {
    await handle.close()
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      size: { type: 'string', default: '1GiB' },
      cases: { type: 'string', default: 'a,b,c,d,e' },
      encrypters: { type: 'string', default: 'noise,tls' },
      tunables: { type: 'string', default: '{}' },
      runs: { type: 'string', default: '1' },
      dir: { type: 'string', default: tmpdir() }
    }
  })
  if (values.child != null) {
    await runChild(JSON.parse(values.child) as Job)
    return
  }
  const size = parseSize(values.size)
  const dir = await mkdtemp(join(values.dir, 'peerit-bench-'))
  try {
    const source = join(dir, 'source.bin')
    await writeRandomFile(source, size)
    const hashed = await hashFile(source)
    const manifestPath = join(dir, 'manifest.bin')
    await writeFile(manifestPath, hashed.manifestBytes)
    const { mtimeMs } = await stat(source)
    const base = { source, output: join(dir, 'output.bin'), size, manifestPath, contentId: hashed.contentId, mtimeMs, tunables: {} }
    const manifest = decodeManifest(hashed.manifestBytes)
    console.log(`${(size / 2 ** 20).toFixed(0)} MiB, ${pieceCount(manifest)} pieces of ${manifest.pieceSize / 2 ** 20} MiB, node ${process.version}`)
    const encrypters = values.encrypters.split(',') as Encrypter[]
    for (const encrypter of encrypters) {
      if (!(encrypter in ENCRYPTERS)) {
        throw new Error(`unknown encrypter ${encrypter}: use ${Object.keys(ENCRYPTERS).join(', ')}`)
      }
    }
    const parsedTunables = JSON.parse(values.tunables) as Record<string, unknown> | Array<Record<string, unknown>>
    const tunableSets = Array.isArray(parsedTunables) ? parsedTunables : [parsedTunables]
    // With several tunable sets, case e runs once per set: e0, e1 … (e alone when there is one).
    const variants = (benchCase: Case): Array<{ key: string, tunables: Record<string, unknown> }> =>
      benchCase.key === 'e' && tunableSets.length > 1
        ? tunableSets.map((tunables, i) => ({ key: `e${i}`, tunables }))
        : [{ key: benchCase.key, tunables: benchCase.key === 'e' ? tunableSets[0] : {} }]
    // Every run measures each (case, encrypter) pair once, interleaved, so machine drift hits all alike.
    const runs = CASES.filter(c => values.cases.split(',').includes(c.key))
      .flatMap(benchCase => variants(benchCase).flatMap(({ key, tunables }) => benchCase.libp2p
        ? encrypters.map(encrypter => ({ benchCase, encrypter, tunables, label: `${key}/${encrypter}` }))
        : [{ benchCase, encrypter: encrypters[0], tunables, label: key }]))
    tunableSets.forEach((tunables, i) => {
      if (tunableSets.length > 1) {
        console.log(`e${i}: ${JSON.stringify(tunables)}`)
      }
    })
    const best = new Map<string, Result>()
    const describe = (result: Result): string =>
      `receiver CPU ${(result.cpuMs / 1000).toFixed(2)} s  sender CPU ${((result.senderCpuMs ?? 0) / 1000).toFixed(2)} s  peak RSS ${result.maxRssMiB.toFixed(0)} MiB`
    for (let run = 0; run < Number(values.runs); run++) {
      for (const { benchCase, encrypter, tunables, label } of runs) {
        const result = await runCase(benchCase, { ...base, encrypter, tunables })
        const mbps = size / 1e6 / (result.ms / 1000)
        console.log(`run ${run + 1} (${label.padEnd(8)}) ${benchCase.name.padEnd(40)} ${mbps.toFixed(0).padStart(6)} MB/s  ${describe(result)}`)
        const previous = best.get(label)
        if (previous == null || result.ms < previous.ms) {
          best.set(label, result)
        }
      }
    }
    const rate = (label: string): number | undefined => {
      const result = best.get(label)
      return result == null ? undefined : size / 1e6 / (result.ms / 1000)
    }
    console.log('\nbest of runs:')
    for (const { benchCase, label } of runs) {
      const result = best.get(label)
      if (result != null) {
        console.log(`  (${label.padEnd(8)}) ${benchCase.name.padEnd(40)} ${rate(label)?.toFixed(0).padStart(6)} MB/s  ${describe(result)}`)
      }
    }
    const downloads = tunableSets.length > 1 ? tunableSets.map((_, i) => `e${i}`) : ['e']
    const ratios = encrypters.flatMap(encrypter => [['c', 'b'], ...downloads.flatMap(e => [[e, 'b'], [e, 'a'], [e, 'd']])]
      .map(([over, under]) => [`${over}/${encrypter}`, under === 'd' ? 'd' : `${under}/${encrypter}`]))
    if (encrypters.includes('tls') && encrypters.includes('noise')) {
      ratios.push(['a/tls', 'a/noise'], ['e/tls', 'e/noise'])
    }
    for (const [over, under] of ratios) {
      const top = rate(over)
      const bottom = rate(under)
      if (top != null && bottom != null) {
        console.log(`  ${over} ÷ ${under} = ${(top / bottom).toFixed(2)}`)
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
