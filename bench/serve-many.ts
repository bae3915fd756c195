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
 *
 * `--daemon-node-options` is the daemon's NODE_OPTIONS (V8 heap flags), to
 * compare settings on the same workload.
 */
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
import type { PeeritFile } from '../protocols/file/index.ts'
import type { Connection } from '@libp2p/interface'

const { values } = parseArgs({
  options: { peers: { type: 'string', default: '32' }, size: { type: 'string', default: '64' }, 'daemon-node-options': { type: 'string', default: '' } }
})
const peers = Number(values.peers)
const sizeMiB = Number.parseInt(values.size, 10)
const bin = fileURLToPath(new URL('../bin/peerit.js', import.meta.url))
const dir = await mkdtemp(join(tmpdir(), 'peerit-bench-serve-'))

function peerit (args: string[]): any {
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${values['daemon-node-options']}`.trim() }
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

try {
  await mkdir(join(dir, 'shared'))
  const source = join(dir, 'shared', 'big.bin')
  await writeFile(source, randomBytes(sizeMiB * 2 ** 20))
  const { contentId, manifestBytes } = await hashFile(source)
  // Every peer dials from 127.0.0.1: the per-IP connection rate must let them all in.
  await writeFile(join(dir, 'peerConf.json'), JSON.stringify({
    listening_ip: '127.0.0.1', listening_port: 0, shared_dir: './shared', download_dir: './downloads', limits: { inbound_connections_per_second: 1000 }
  }))
  const daemon = peerit(['start'])
  const idle = await memoryOf(daemon.pid)
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
  let peak = connected.rss
  const sampler = setInterval(() => {
    memoryOf(daemon.pid).then(({ rss }) => { peak = Math.max(peak, rss) }, () => {})
  }, 100)
  const started = performance.now()
  try {
    await Promise.all(nodes.map(async (node, index) => {
      const connection = connections[index]
      const service = node.services.peeritFile as PeeritFile
      const manifest = await service.getManifest(connection.remotePeer, contentId)
      const pieces = pieceCount(manifest)
      let next = 0
      await Promise.all(Array.from({ length: DEFAULT_TUNABLES.maxRequestsPerPeer }, async () => {
        for (let first = next; first < pieces; first = next) {
          const count = Math.min(DEFAULT_TUNABLES.piecesPerRequest, pieces - first)
          next = first + count
          for await (const piece of service.getPieces(connection.remotePeer, contentId, manifest, first, count)) {
            if (!verifyPiece(manifest, piece.index, piece.bytes)) {
              throw new Error(`piece ${piece.index} failed verification`)
            }
          }
        }
      }))
    }))
  } finally {
    clearInterval(sampler)
  }
  const seconds = (performance.now() - started) / 1000
  const after = await memoryOf(daemon.pid)
  console.log(`${peers} peers × ${sizeMiB} MiB (manifest ${manifestBytes.byteLength} bytes), all at once, node ${process.version}, daemon NODE_OPTIONS '${values['daemon-node-options']}'`)
  console.log(`served ${(peers * sizeMiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(peers * sizeMiB * 2 ** 20 / 1e6 / seconds).toFixed(0)} MB/s in all)`)
  console.log(`daemon RSS: idle ${idle.rss.toFixed(0)} MiB, ${peers} peers connected ${connected.rss.toFixed(0)} MiB, sampled peak ${peak.toFixed(0)} MiB, VmHWM ${after.peak.toFixed(0)} MiB (goal ≤ 300 MiB)`)
  await Promise.all(nodes.map(async node => node.stop()))
} catch (err) {
  const log = await readFile(join(dir, '.peerit', 'peerit.log'), 'utf8').catch(() => '')
  process.stderr.write(`the daemon's log ends:\n${log.split('\n').slice(-15).join('\n')}\n`)
  throw err
} finally {
  spawnSync(process.execPath, [bin, 'stop'], { cwd: dir, stdio: 'ignore', timeout: 30_000 })
  await rm(dir, { recursive: true, force: true })
}
