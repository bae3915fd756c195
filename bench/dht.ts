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
 * Bounded on a loaded 2-core machine: nodes start one at a time, every
 * operation has its own deadline (`--op-timeout`, counted and reported when
 * it passes, never waited on for ever), routing tables get `--settle`
 * seconds, and the whole run `--deadline` minutes, past which it says which
 * phase it was in and exits 1.
 *
 *   npx node bench/dht.ts [--nodes 50] [--provides 20] [--ids 48] [--trials 5] [--dir /var/tmp]
 *                         [--op-timeout 60000] [--settle 180] [--deadline 30]
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultLogger } from '@libp2p/logger'
import { raceSignal } from 'race-signal'
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
    dir: { type: 'string', default: tmpdir() },
    'op-timeout': { type: 'string', default: '60000' },
    settle: { type: 'string', default: '180' },
    deadline: { type: 'string', default: '30' }
  }
})
const size = Number(values.nodes)
const trials = Number(values.trials)
const opTimeoutMs = Number(values['op-timeout'])
const runStarted = performance.now()
const elapsed = (): string => `${((performance.now() - runStarted) / 1000).toFixed(0)} s`
/** What the run is doing, for the message when the deadline passes. */
let phase = 'starting'
const deadline = setTimeout(() => {
  console.error(`bench/dht: the ${values.deadline}-minute deadline passed while ${phase} (${elapsed()} in); the machine is too loaded for ${size} nodes — try fewer (--nodes) or a quieter moment`)
  process.exit(1)
}, Number(values.deadline) * 60_000)
deadline.unref()

function median (samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

const pick = <T> (items: T[]): T => items[Math.floor(Math.random() * items.length)]
const randomId = (): string => randomBytes(32).toString('hex')
const dhtOf = (node: PeerNode): KadDHT => node.libp2p.services.dht as KadDHT

/** Operations that passed `--op-timeout`, per kind: reported, and left out of the medians. */
const timedOut: Record<string, number> = {}

/** Milliseconds `work` took, or undefined when it passed the operation deadline (it is aborted). */
async function timed (what: string, work: (signal: AbortSignal) => Promise<unknown>): Promise<number | undefined> {
  const started = performance.now()
  const signal = AbortSignal.timeout(opTimeoutMs)
  try {
    // raced as well as passed down: a lookup that does not listen to its signal still ends here
    await raceSignal(work(signal), signal)
    return performance.now() - started
  } catch (err) {
    if (!signal.aborted) throw err
    timedOut[what] = (timedOut[what] ?? 0) + 1
    console.log(`  ${what}: no answer within ${opTimeoutMs} ms (${elapsed()} in)`)
    return undefined
  }
}

/** Waits until `check` holds; false (not an error) when `ms` passed first. */
async function until (check: () => boolean, ms: number): Promise<boolean> {
  return eventually(check, { timeoutMs: ms, intervalMs: 200 }).then(() => true, () => false)
}

const defined = (samples: Array<number | undefined>): number[] => samples.filter((ms): ms is number => ms != null)
const medianOf = (samples: Array<number | undefined>): string => defined(samples).length === 0 ? 'n/a' : `${median(defined(samples)).toFixed(0)} ms`

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
    phase = `starting node ${i + 1} of ${size}`
    await node.start()
    nodes.push(node)
    if ((i + 1) % 10 === 0) console.log(`  ${i + 1} nodes started (${elapsed()})`)
  }
  const tables = (): number[] => nodes.map(n => n.status().dht?.routingTablePeers ?? 0)
  phase = 'waiting for routing tables'
  const settled = await until(() => tables().every(peers => peers >= 3), Number(values.settle) * 1_000)
  console.log(`${size} nodes up in ${((performance.now() - started) / 1000).toFixed(1)} s; routing tables: median ${median(tables())} peers, min ${Math.min(...tables())}${settled ? '' : ` (not all at 3 peers after ${values.settle} s: going on)`}; RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`)

  // provide and findProviders, one at a time so each is timed alone
  const provideMs: Array<number | undefined> = []
  const firstMs: Array<number | undefined> = []
  const fullMs: Array<number | undefined> = []
  let missed = 0
  for (let i = 0; i < Number(values.provides); i++) {
    phase = `provide and find ${i + 1} of ${values.provides}`
    const provider = pick(nodes)
    const id = randomId()
    provideMs.push(await timed('provide', async (signal) => {
      for await (const _ of dhtOf(provider).provide(contentIdToCid(id), { signal })) {
        // only the time to the end of the query events counts
      }
    }))
    const asker = pick(nodes.filter(n => n !== provider))
    let first = 0
    firstMs.push(await timed('first provider', async (signal) => { first = (await findContentProviders(dhtOf(asker), id, { max: 1, signal })).length }))
    const other = pick(nodes.filter(n => n !== provider && n !== asker))
    let found = 0
    fullMs.push(await timed('whole lookup', async (signal) => { found = (await findContentProviders(dhtOf(other), id, { settleMs: 60_000, signal })).length }))
    // a lookup that ended without the provider is a miss (a provide that timed out may have stored too few records)
    if (first !== 1) missed++
    if (found !== 1) missed++
    console.log(`  ${i + 1}: provide ${provideMs.at(-1)?.toFixed(0) ?? '-'} ms, first provider ${firstMs.at(-1)?.toFixed(0) ?? '-'} ms, whole lookup ${fullMs.at(-1)?.toFixed(0) ?? '-'} ms (${elapsed()})`)
  }
  console.log(`provide (one id, ${defined(provideMs).length} of ${provideMs.length} runs in time): median ${medianOf(provideMs)}`)
  console.log(`findProviders: first provider median ${medianOf(firstMs)}; whole lookup median ${medianOf(fullMs)}; ${missed} of ${2 * provideMs.length} lookups missed the provider`)

  // the provide queue, serial vs concurrent, on one node
  const ids = Number(values.ids)
  const queueMs: Record<number, number> = {}
  for (const concurrency of [1, 16]) {
    phase = `providing ${ids} ids at concurrency ${concurrency}`
    // the queue bounds each provide itself (its own deadline, then a retry later): only the whole-run deadline applies here
    const provider = new ContentProvider({ dht: dhtOf(nodes[1]), hasPeers: () => true, log: defaultLogger().forComponent('bench'), concurrency })
    provider.start()
    const queueStarted = performance.now()
    provider.reconcile(Array.from({ length: ids }, (_, i) => ({ id: randomId(), mtimeMs: i })))
    await provider.onIdle()
    queueMs[concurrency] = performance.now() - queueStarted
    provider.stop()
    if (provider.stats().provided !== ids) {
      console.log(`  concurrency ${concurrency}: ${provider.stats().provided} of ${ids} provided before the queue went idle (the rest wait for a retry)`)
    }
  }
  const perFile = (c: number): number => queueMs[c] / ids
  console.log(`providing ${ids} ids: concurrency 1 ${(queueMs[1] / 1000).toFixed(1)} s, concurrency 16 ${(queueMs[16] / 1000).toFixed(1)} s (${(queueMs[1] / queueMs[16]).toFixed(1)}× faster); 10,000 files ≈ ${(perFile(1) * 10_000 / 60_000).toFixed(0)} min serial vs ${(perFile(16) * 10_000 / 60_000).toFixed(1)} min`)

  // time to first byte: by id with no fetch vs by name after a fetch
  const sharer = nodes[size - 1]
  const source = join(root, 'one-piece.bin')
  await writeFile(source, randomBytes(1024 * 1024))
  const file = await sharer.share(source)
  phase = 'waiting for the shared file to be provided'
  await eventually(() => sharer.status().dht?.provided === 1, { timeoutMs: 5 * opTimeoutMs, intervalMs: 200, what: 'the shared file provided' })
  const others = nodes.slice(2, size - 1)
  const byIdMs: Array<number | undefined> = []
  const byNameMs: Array<number | undefined> = []
  const fetchMs: Array<number | undefined> = []
  let fetchMissed = 0
  for (let t = 0; t < trials; t++) {
    phase = `download trial ${t + 1} of ${trials}`
    const byId = others[(2 * t) % others.length]
    const byName = others[(2 * t + 1) % others.length]
    byIdMs.push(await timed('download by id', async (signal) => byId.downloadFile(file.id, { signal })))
    fetchMs.push(await timed('fetch', async (signal) => byName.fetch({ ttl: 7, signal })))
    // The flood only follows open connections, and here only the DHT opens them: a fetch may not reach the sharer.
    if ((await byName.search(file.name)).length === 0) {
      fetchMissed++
      byNameMs.push(undefined)
    } else {
      byNameMs.push(await timed('download by name', async (signal) => byName.downloadFile(file.name, { signal })))
    }
    console.log(`  trial ${t + 1}: by id ${byIdMs.at(-1)?.toFixed(0) ?? '-'} ms, fetch ${fetchMs.at(-1)?.toFixed(0) ?? '-'} ms, by name ${byNameMs.at(-1)?.toFixed(0) ?? '-'} ms (${elapsed()})`)
  }
  if (fetchMissed > 0) console.log(`fetch did not reach the sharer in ${fetchMissed} of ${trials} trials (no download by name then)`)
  const idMedian = median(defined(byIdMs))
  const nameMedian = median(defined(byNameMs))
  const fetchMedian = median(defined(fetchMs))
  const ratio = (a: number, b: number): string => Number.isFinite(a / b) ? (a / b).toFixed(2) : 'n/a'
  console.log(`first byte of a 1 MiB one-piece file (${trials} runs): by id, no fetch, median ${medianOf(byIdMs)}; by name after a fetch ${medianOf(byNameMs)} (+ the fetch itself, median ${medianOf(fetchMs)}); by id / by name = ${ratio(idMedian, nameMedian)}, by id / (fetch + by name) = ${ratio(idMedian, fetchMedian + nameMedian)}`)
  const late = Object.entries(timedOut)
  console.log(late.length === 0 ? `every operation answered within ${opTimeoutMs} ms` : `past ${opTimeoutMs} ms (left out of the medians): ${late.map(([what, count]) => `${what} ${count}`).join(', ')}`)
  console.log(`total ${elapsed()}, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB (${(process.memoryUsage().rss / 2 ** 20 / size).toFixed(1)} MiB per node)`)
} finally {
  phase = 'stopping the nodes'
  await Promise.allSettled(nodes.map(async n => n.stop()))
  await rm(root, { recursive: true, force: true })
  clearTimeout(deadline)
}
