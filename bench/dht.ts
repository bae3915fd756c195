/**
 * The PeerIT DHT on N real PeerIT nodes (the library's createPeerNode) in this
 * process on 127.0.0.1. Each node knows the first node and one random earlier
 * one; the DHT introduces the rest. Reports, in one run:
 *   - provide: one content id, lookup + records to the 20 closest (median);
 *   - findProviders: time to the first provider, and to the full answer;
 *   - providing many ids: the provide queue at concurrency 1 vs 16, with the
 *     time it would take for 10,000 shared files;
 *   - time to first byte of a one-piece (1 MiB) file: by id on a node that
 *     never fetched (DHT lookup) vs by name right after a fetch.
 *
 *   npx node bench/dht.ts [--nodes 50] [--provides 20] [--ids 48] [--trials 5] [--dir /var/tmp]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultLogger } from '@libp2p/logger'
import { contentIdToCid } from '../src/dht/content-key.ts'
import { findContentProviders } from '../src/dht/lookup.ts'
import { ContentProvider } from '../src/dht/provider.ts'
import { createPeerNode } from '../src/peer-node.ts'
import { eventually } from '../test/fixtures/poll.ts'
import type { PeerNode } from '../src/peer-node.ts'
import type { KadDHT } from '@libp2p/kad-dht'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '50' },
    provides: { type: 'string', default: '20' },
    ids: { type: 'string', default: '48' },
    trials: { type: 'string', default: '5' },
    dir: { type: 'string', default: tmpdir() }
  }
})
const size = Number(values.nodes)
const trials = Number(values.trials)

function median (samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const pick = <T> (items: T[]): T => items[Math.floor(Math.random() * items.length)]
const randomId = (): string => randomBytes(32).toString('hex')
const dhtOf = (node: PeerNode): KadDHT => node.libp2p.services.dht as KadDHT

async function timed (work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

/** A loaded machine builds a large network slowly: its waits may take up to 10 minutes. */
const SETTLE = { timeoutMs: 600_000, intervalMs: 200 }

const root = await mkdtemp(join(values.dir, 'peerit-bench-dht-'))
const nodes: PeerNode[] = []
try {
  const started = performance.now()
  for (let i = 0; i < size; i++) {
    const dir = join(root, `n${i}`)
    const contacts = i === 0 ? [] : [...new Set([0, Math.floor(Math.random() * i)])].map(j => nodes[j].libp2p.getMultiaddrs()[0].toString())
    const node = await createPeerNode({
      stateDir: join(dir, '.peerit'),
      sharedDir: join(dir, 'shared'),
      downloadDir: join(dir, 'downloads'),
      peers: contacts,
      // 50 nodes dialling from one IP: libp2p's default of 5 new inbound connections per second per IP would reset most
      limits: { inboundConnectionsPerSecond: 100_000 },
      // Only the DHT introduces peers: no mDNS, no UPnP router to look for.
      reach: { mdns: false, upnp: false }
    })
    await node.start()
    nodes.push(node)
  }
  const tables = (): number[] => nodes.map(n => n.status().dht?.routingTablePeers ?? 0)
  await eventually(() => tables().every(peers => peers >= 3), { ...SETTLE, what: 'every routing table at 3 peers' })
  console.log(`${size} nodes up in ${((performance.now() - started) / 1000).toFixed(1)} s; routing tables: median ${median(tables())} peers, min ${Math.min(...tables())}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`)

  // provide and findProviders, one at a time so each is timed alone
  const provideMs: number[] = []
  const firstMs: number[] = []
  const fullMs: number[] = []
  for (let i = 0; i < Number(values.provides); i++) {
    const provider = pick(nodes)
    const id = randomId()
    provideMs.push(await timed(async () => {
      for await (const _ of dhtOf(provider).provide(contentIdToCid(id))) {
        // only the time to the end of the query events counts
      }
    }))
    const asker = pick(nodes.filter(n => n !== provider))
    firstMs.push(await timed(async () => findContentProviders(dhtOf(asker), id, { max: 1 })))
    const other = pick(nodes.filter(n => n !== provider && n !== asker))
    let found = 0
    fullMs.push(await timed(async () => { found = (await findContentProviders(dhtOf(other), id, { settleMs: 60_000 })).length }))
    if (found !== 1) {
      throw new Error(`expected the one provider, found ${found}`)
    }
  }
  console.log(`provide (one id, ${provideMs.length} runs): median ${median(provideMs).toFixed(0)} ms`)
  console.log(`findProviders: first provider median ${median(firstMs).toFixed(0)} ms; whole lookup median ${median(fullMs).toFixed(0)} ms`)

  // the provide queue, serial vs concurrent, on one node
  const ids = Number(values.ids)
  const queueMs: Record<number, number> = {}
  for (const concurrency of [1, 16]) {
    const provider = new ContentProvider({ dht: dhtOf(nodes[1]), hasPeers: () => true, log: defaultLogger().forComponent('bench'), concurrency })
    provider.start()
    queueMs[concurrency] = await timed(async () => {
      provider.reconcile(Array.from({ length: ids }, (_, i) => ({ id: randomId(), mtimeMs: i })))
      await provider.onIdle()
    })
    provider.stop()
    if (provider.stats().provided !== ids) {
      throw new Error(`only ${provider.stats().provided} of ${ids} provided at concurrency ${concurrency}`)
    }
  }
  const perFile = (c: number): number => queueMs[c] / ids
  console.log(`providing ${ids} ids: concurrency 1 ${(queueMs[1] / 1000).toFixed(1)} s, concurrency 16 ${(queueMs[16] / 1000).toFixed(1)} s (${(queueMs[1] / queueMs[16]).toFixed(1)}× faster); 10,000 files ≈ ${(perFile(1) * 10_000 / 60_000).toFixed(0)} min serial vs ${(perFile(16) * 10_000 / 60_000).toFixed(1)} min`)

  // time to first byte: by id with no fetch vs by name after a fetch
  const sharer = nodes[size - 1]
  const source = join(root, 'one-piece.bin')
  await writeFile(source, randomBytes(1024 * 1024))
  const file = await sharer.share(source)
  await eventually(() => sharer.status().dht?.provided === 1, { ...SETTLE, what: 'the shared file provided' })
  const others = nodes.slice(2, size - 1)
  const byIdMs: number[] = []
  const byNameMs: number[] = []
  const fetchMs: number[] = []
  for (let t = 0; t < trials; t++) {
    const byId = others[(2 * t) % others.length]
    const byName = others[(2 * t + 1) % others.length]
    byIdMs.push(await timed(async () => byId.downloadFile(file.id)))
    fetchMs.push(await timed(async () => byName.fetch({ ttl: 7 })))
    byNameMs.push(await timed(async () => byName.downloadFile(file.name)))
  }
  const idMedian = median(byIdMs)
  const nameMedian = median(byNameMs)
  console.log(`first byte of a 1 MiB one-piece file (${trials} runs): by id, no fetch, median ${idMedian.toFixed(0)} ms; by name after a fetch ${nameMedian.toFixed(0)} ms (+ the fetch itself, median ${median(fetchMs).toFixed(0)} ms); by id / by name = ${(idMedian / nameMedian).toFixed(2)}, by id / (fetch + by name) = ${(idMedian / (median(fetchMs) + nameMedian)).toFixed(2)}`)
  console.log(`RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB (${(process.memoryUsage().rss / 2 ** 20 / size).toFixed(1)} MiB per node)`)
} finally {
  await Promise.allSettled(nodes.map(async n => n.stop()))
  await rm(root, { recursive: true, force: true })
}
