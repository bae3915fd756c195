/**
 * 256 MiB (or `--size`) through a PeerIT relay vs. directly, side by side in
 * one run on 127.0.0.1, and the relay's CPU per GiB relayed.
 *
 * The relay runs in a child process of its own (a real PeerIT relay node:
 * `relay_server` with no byte caps), and so does the sender, so each has its
 * own event loop as on real hosts and its own CPU time; the receiver runs
 * here. (Before 2026-12-01 18:40 the sender shared the receiver's process:
 * one event loop did both ends' work, which alone held relayed below 0.6×
 * direct.) Neither counts 127.0.0.1 as public, so the
 * sender reserves a slot on the relay as a NAT'd node would and nobody
 * reverses the relayed connection; the receiver fetches the same bytes once
 * over a direct connection and once over the relayed one (raw libp2p stream,
 * receiver discards).
 *
 *   npx node bench/relay.ts [--size 256MiB] [--runs 1] [--cpu-prof DIR] [--tunings joined,plain] [--count] [--e2e tls,noise]
 *
 * `--cpu-prof DIR` writes the relay process's V8 CPU profile into DIR (open
 * it in Chrome's DevTools, or sum its self time by function). `--tunings`
 * measures transport levers side by side (src/transport/): each tuning gets
 * its own relay, sender and receiver, and every run measures each in turn.
 * `--count` counts operations per MiB in every process (./relay-counters.ts:
 * yamux frames and window updates per leg, stream sends, TLS records, socket
 * writes, event-loop callbacks); the counters cost CPU, so read the CPU
 * figures of a run without it. Each transfer prints the receiver's longest
 * wait for a chunk, and each run how many of the cores the processes kept
 * busy (CPU seconds ÷ wall seconds: near 2 on this machine's 2 cores, the
 * pipeline is CPU-bound; well below, it stalls on something else).
 * `--e2e tls,noise` measures, instead of the tunings, which encrypter costs
 * less on the connection through the relay, the hops staying TLS
 * (./relay-e2e-nodes.ts).
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { byteStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { sendBufferBelow } from '../protocols/shared/back-pressure.ts'
import { createPeeritLibp2p } from '../src/libp2p.ts'
import { resolveLimits } from '../src/limits.ts'
import { DEFAULT_REACH } from '../src/reach/libp2p-options.ts'
import { DEFAULT_TRANSPORT } from '../src/transport/index.ts'
import { installCounters, perMiB, snapshot } from './relay-counters.ts'
import { E2E_ENCRYPTERS, e2eEnd, tlsOnlyRelay } from './relay-e2e-nodes.ts'
import type { ReachOptions } from '../src/reach/libp2p-options.ts'
import type { TransportTuning } from '../src/transport/index.ts'
import type { Counts } from './relay-counters.ts'
import type { E2eEncrypter } from './relay-e2e-nodes.ts'
import type { Libp2p, Stream } from '@libp2p/interface'
import type { ChildProcess } from 'node:child_process'

const RAW_PROTOCOL = '/peerit-bench/raw/1.0'
const CHUNK = 256 * 1024
const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** The transport tunings `--tunings` can name: `joined` is what a PeerIT node runs. */
const TUNINGS: Record<string, TransportTuning> = {
  joined: DEFAULT_TRANSPORT,
  plain: { coalesceTls: false, coalesceTcp: false },
  'joined+tcp': { coalesceTls: true, coalesceTcp: true },
  'joined-duplex': { ...DEFAULT_TRANSPORT, tlsOnSocket: false }
}

/** A PeerIT libp2p node on loopback with the given reachability settings, nothing shared. */
async function node (reach: Partial<ReachOptions>, transport: TransportTuning): Promise<Libp2p<any>> {
  const { libp2p } = await createPeeritLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    fetch: { localFiles: () => [] },
    file: { lookup: () => undefined },
    limits: resolveLimits({ inboundConnectionsPerSecond: 1000 }),
    reach: { ...DEFAULT_REACH, mdns: false, upnp: false, ...reach },
    transport
  })
  await libp2p.start()
  return libp2p
}

/** The end-to-end encrypter a setup name stands for (`e2e-noise`), if it is an `--e2e` one. */
function e2eOf (name: string): E2eEncrypter | undefined {
  return E2E_ENCRYPTERS.find(e2e => name === `e2e-${e2e}`)
}

async function relayChild (name: string): Promise<void> {
  const relay = e2eOf(name) == null ? await node({ relayServer: true, publicNetworks: ['127.0.0.1/32'] }, TUNINGS[name]) : await tlsOnlyRelay()
  process.send?.({ address: relay.getMultiaddrs()[0].toString() })
  answerParent(relay)
}

/** The sender's process: serves RAW_PROTOCOL, holds a slot on the relay, and tells its two addresses. */
async function senderChild (name: string, relayAddress: string): Promise<void> {
  const e2e = e2eOf(name)
  // it does not count the receiver as public: nobody reverses the relayed connection
  const sender = e2e == null ? await node({}, TUNINGS[name]) : await e2eEnd(e2e, relayAddress)
  await sender.handle(RAW_PROTOCOL, serveRaw)
  if (e2e == null) {
    await sender.dial(multiaddr(relayAddress))
  }
  const deadline = Date.now() + 20_000
  let circuit: string | undefined
  while (circuit == null && Date.now() < deadline) {
    circuit = sender.getMultiaddrs().map(a => a.toString()).find(a => a.includes('/p2p-circuit'))
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  if (circuit == null) {
    throw new Error('the sender got no relay slot')
  }
  const direct = sender.getMultiaddrs().map(a => a.toString()).find(a => !a.includes('/p2p-circuit')) ?? ''
  const hop = sender.getConnections().find(c => relayAddress.endsWith(c.remotePeer.toString()))
  process.send?.({ direct, circuit, hop: `${hop?.encryption ?? '?'} + ${hop?.multiplexer ?? '?'}` })
  answerParent(sender)
}

/** A child's side of the parent's questions: its CPU time and counts so far, or stop. */
function answerParent (libp2p: Libp2p<any>): void {
  process.on('message', (message: { type: string }) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage()
      process.send?.({ cpuMs: (usage.user + usage.system) / 1000, counts: snapshot() })
    } else {
      void Promise.resolve(libp2p.stop()).then(() => process.exit(0))
    }
  })
}

/** Asks a child for its CPU time and counts so far. */
async function childUsage (child: ChildProcess): Promise<Usage> {
  child.send({ type: 'cpu' })
  const [reply] = await once(child, 'message') as [{ cpuMs: number, counts: Counts }]
  return reply
}

/** The receiver's longest wait between two chunks: a stalled pipeline shows there. */
class Pace {
  private last = -1
  longestMs = 0

  received (): void {
    const now = performance.now()
    this.longestMs = Math.max(this.longestMs, this.last < 0 ? 0 : now - this.last)
    this.last = now
  }
}

/** Streams `size` bytes from the sender to the receiver over `address`; resolves with MiB/s. */
async function transfer (receiver: Libp2p<any>, address: string, size: number, label: string): Promise<number> {
  const connection = await receiver.dial(multiaddr(address))
  const stream = await connection.newStream(RAW_PROTOCOL)
  const started = performance.now()
  const request = new Uint8Array(8)
  new DataView(request.buffer).setBigUint64(0, BigInt(size))
  stream.send(request)
  await stream.close()
  let received = 0
  const pace = new Pace()
  for await (const chunk of stream) {
    received += chunk.byteLength
    pace.received()
  }
  if (received !== size) {
    throw new Error(`received ${received} of ${size} bytes (stream ${stream.status}, read ${stream.readStatus}, remote write ${stream.remoteWriteStatus})`)
  }
  const seconds = (performance.now() - started) / 1000
  await connection.close()
  console.log(`       ${label} (${connection.encryption ?? '?'}): longest wait for a chunk ${pace.longestMs.toFixed(0)} ms`)
  return size / MiB / seconds
}

/** One tuning's relay and sender (child processes), receiver, and the two addresses the receiver dials. */
interface Setup {
  name: string
  relay: ChildProcess
  sender: ChildProcess
  receiver: Libp2p<any>
  direct: string
  circuit: string
}

/** CPU milliseconds and counts of a process so far. */
interface Usage {
  cpuMs: number
  counts: Counts
}

/** Starts a relay child, a sender child that reserved a slot on it and serves RAW_PROTOCOL, and a receiver. */
async function setUp (name: string, profile: string[], count: boolean): Promise<Setup> {
  const e2e = e2eOf(name)
  const spawn = (args: string[]): ChildProcess => fork(fileURLToPath(import.meta.url), [...args, ...count ? ['--count'] : []], { execArgv: [...process.execArgv, ...profile] })
  const relay = spawn(['--relay-child', name])
  const [{ address: relayAddress }] = await once(relay, 'message') as [{ address: string }]
  const sender = spawn(['--sender-child', name, relayAddress])
  const [{ direct, circuit, hop }] = await once(sender, 'message') as [{ direct: string, circuit: string, hop: string }]
  // it does not count the sender as public either
  const receiver = e2e == null ? await node({}, TUNINGS[name]) : await e2eEnd(e2e)
  console.log(`${name}: relay ${relayAddress}; hop connections ${hop}`)
  return { name, relay, sender, receiver, direct, circuit }
}

async function tearDown (setup: Setup): Promise<void> {
  await setup.receiver.stop()
  for (const child of [setup.sender, setup.relay]) {
    child.send({ type: 'stop' })
    await once(child, 'exit')
  }
}

/** This process's CPU time and counts so far. */
function ownUsage (): Usage {
  const usage = process.cpuUsage()
  return { cpuMs: (usage.user + usage.system) / 1000, counts: snapshot() }
}

/** The receiver's (here) and the sender's usage together: both ends. */
async function endsUsage (sender: ChildProcess): Promise<Usage> {
  const [own, theirs] = [ownUsage(), await childUsage(sender)]
  const counts: Counts = { ...own.counts }
  for (const [key, value] of Object.entries(theirs.counts)) {
    counts[key] = (counts[key] ?? 0) + value
  }
  return { cpuMs: own.cpuMs + theirs.cpuMs, counts }
}

/** The sender's side: the request is the size as 8 bytes, answered with that many zero bytes. */
async function serveRaw (stream: Stream): Promise<void> {
  // read without iterating (which would end our side too)
  const bytes = await byteStream(stream).read({ bytes: 8 })
  const wanted = Number(new DataView(bytes.subarray().buffer, bytes.subarray().byteOffset).getBigUint64(0))
  const signal = AbortSignal.timeout(600_000)
  try {
    for (let sent = 0; sent < wanted; sent += CHUNK) {
      stream.send(new Uint8Array(Math.min(CHUNK, wanted - sent)))
      await sendBufferBelow(stream, 4 * CHUNK, signal)
    }
    await stream.close()
  } catch (err: any) {
    console.error(`sender: ${err.message}`)
    stream.abort(err)
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256MiB' }, runs: { type: 'string', default: '1' }, 'cpu-prof': { type: 'string' }, tunings: { type: 'string', default: 'joined' }, e2e: { type: 'string' }, count: { type: 'boolean', default: false } } })
  const size = parseSize(values.size)
  const names = values.e2e == null ? values.tunings.split(',') : values.e2e.split(',').map(e2e => `e2e-${e2e}`)
  const unknown = names.find(name => TUNINGS[name] == null && e2eOf(name) == null)
  if (unknown != null) {
    throw new Error(values.e2e == null ? `--tunings ${unknown}: use ${Object.keys(TUNINGS).join(', ')}` : `--e2e ${unknown.slice(4)}: use ${E2E_ENCRYPTERS.join(', ')}`)
  }
  const profile = values['cpu-prof'] == null ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
  if (values.count) {
    await installCounters()
  }
  const setups: Setup[] = []
  try {
    for (const name of names) {
      setups.push(await setUp(name, profile, values.count))
    }
    console.log(`${values.size} per case, ${values.runs} run(s)`)
    const perGiB = (ms: number): string => (ms / 1000 / (size / GiB)).toFixed(2)
    // per tuning: ratio, CPU per GiB of the direct ends, the relayed ends and the relay
    const figures = new Map<string, Array<{ ratio: number, direct: number, ends: number, relay: number }>>()
    for (let run = 1; run <= Number(values.runs); run++) {
      // Every run measures each tuning in turn, so machine drift hits all alike.
      for (const { name, relay, sender, receiver, direct, circuit } of setups) {
        const before = await endsUsage(sender)
        const directRate = await transfer(receiver, direct, size, 'direct')
        const between = await endsUsage(sender)
        const relayBefore = await childUsage(relay)
        const relayedRate = await transfer(receiver, circuit, size, 'relayed')
        const after = await endsUsage(sender)
        const relayAfter = await childUsage(relay)
        const directEndsMs = between.cpuMs - before.cpuMs
        const relayedEndsMs = after.cpuMs - between.cpuMs
        const relayCpu = relayAfter.cpuMs - relayBefore.cpuMs
        figures.set(name, [...figures.get(name) ?? [], { ratio: relayedRate / directRate, direct: directEndsMs, ends: relayedEndsMs, relay: relayCpu }])
        console.log(`run ${run} ${name}: direct ${directRate.toFixed(0)} MiB/s · relayed ${relayedRate.toFixed(0)} MiB/s · ratio ${(relayedRate / directRate).toFixed(2)}× · relay CPU ${perGiB(relayCpu)} s per GiB relayed`)
        if (values.count) {
          printCounts({
            'direct, both ends': perMiB(before.counts, between.counts, size),
            'relayed, both ends': perMiB(between.counts, after.counts, size),
            relay: perMiB(relayBefore.counts, relayAfter.counts, size)
          })
        }
        const cores = (cpuMs: number, rate: number): string => (cpuMs / (size / MiB / rate * 1000)).toFixed(2)
        console.log(`       cores busy: direct ${cores(directEndsMs, directRate)} · relayed ${cores(relayedEndsMs + relayCpu, relayedRate)}`)
        console.log(`       CPU per GiB: direct ${perGiB(directEndsMs)} s (both ends) · relayed ${perGiB(relayedEndsMs)} s (both ends) + ${perGiB(relayCpu)} s (relay) = ${((relayedEndsMs + relayCpu) / directEndsMs).toFixed(1)}× the direct CPU`)
      }
    }
    // On a shared machine CPU time swells with the load: the least of several runs is the nearest to the cost itself.
    for (const [name, list] of figures) {
      const least = (key: 'direct' | 'ends' | 'relay'): string => perGiB(Math.min(...list.map(f => f[key])))
      console.log(`${name}: ratio ${list.map(f => f.ratio.toFixed(2)).join(', ')} · least CPU per GiB: direct ${least('direct')} s · relayed ${least('ends')} s (ends) + ${least('relay')} s (relay)`)
    }
  } finally {
    await Promise.all(setups.map(tearDown))
  }
}

/** One table of counts per MiB, a column per process. */
function printCounts (columns: Record<string, Counts>): void {
  const names = [...new Set(Object.values(columns).flatMap(counts => Object.keys(counts)))].sort()
  const headers = Object.keys(columns)
  console.log(`       per MiB: ${headers.join(' | ')}`)
  for (const name of names) {
    console.log(`         ${name}: ${headers.map(header => (columns[header][name] ?? 0).toFixed(1)).join(' | ')}`)
  }
}

function parseSize (text: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(text)
  if (match == null) {
    throw new Error(`--size ${text}: write it like 256MiB`)
  }
  return Number(match[1]) * ({ KiB: 1024, MiB, GiB }[match[2] ?? ''] ?? 1)
}

const childAt = process.argv.indexOf('--relay-child')
const senderAt = process.argv.indexOf('--sender-child')
if (childAt >= 0 || senderAt >= 0) {
  if (process.argv.includes('--count')) {
    await installCounters()
  }
  await (childAt >= 0 ? relayChild(process.argv[childAt + 1]) : senderChild(process.argv[senderAt + 1], process.argv[senderAt + 2]))
} else {
  await main()
}
