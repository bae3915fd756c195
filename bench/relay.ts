/**
 * 256 MiB (or `--size`) through a PeerIT relay vs. directly, side by side in
 * one run on 127.0.0.1, and the relay's CPU per GiB relayed.
 *
 * The relay runs in a child process of its own (a real PeerIT relay node:
 * `relay_server` with no byte caps), so its CPU time is its own; the sender
 * and the receiver run here. Neither counts 127.0.0.1 as public, so the
 * sender reserves a slot on the relay as a NAT'd node would and nobody
 * reverses the relayed connection; the receiver fetches the same bytes once
 * over a direct connection and once over the relayed one (raw libp2p stream,
 * receiver discards).
 *
 *   npx node bench/relay.ts [--size 256MiB] [--runs 1] [--cpu-prof DIR] [--tunings joined,plain]
 *
 * `--cpu-prof DIR` writes the relay process's V8 CPU profile into DIR (open
 * it in Chrome's DevTools, or sum its self time by function). `--tunings`
 * measures transport levers side by side (src/transport/): each tuning gets
 * its own relay, sender and receiver, and every run measures each in turn.
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
import type { ReachOptions } from '../src/reach/libp2p-options.ts'
import type { TransportTuning } from '../src/transport/index.ts'
import type { Libp2p, Stream } from '@libp2p/interface'

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

async function relayChild (transport: TransportTuning): Promise<void> {
  const relay = await node({ relayServer: true, publicNetworks: ['127.0.0.1/32'] }, transport)
  process.send?.({ address: relay.getMultiaddrs()[0].toString() })
  process.on('message', (message: { type: string }) => {
    if (message.type === 'cpu') {
      const usage = process.cpuUsage()
      process.send?.({ cpuMs: (usage.user + usage.system) / 1000 })
    } else {
      void Promise.resolve(relay.stop()).then(() => process.exit(0))
    }
  })
}

/** CPU milliseconds (user + system) this process spent since `start`. */
function cpuMsSince (start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000
}

/** Asks the relay child for its CPU time so far. */
async function relayCpuMs (child: ReturnType<typeof fork>): Promise<number> {
  child.send({ type: 'cpu' })
  const [reply] = await once(child, 'message') as [{ cpuMs: number }]
  return reply.cpuMs
}

/** Streams `size` bytes from the sender to the receiver over `address`; resolves with MiB/s. */
async function transfer (receiver: Libp2p<any>, address: string, size: number): Promise<number> {
  const connection = await receiver.dial(multiaddr(address))
  const stream = await connection.newStream(RAW_PROTOCOL)
  const started = performance.now()
  const request = new Uint8Array(8)
  new DataView(request.buffer).setBigUint64(0, BigInt(size))
  stream.send(request)
  await stream.close()
  let received = 0
  for await (const chunk of stream) {
    received += chunk.byteLength
  }
  if (received !== size) {
    throw new Error(`received ${received} of ${size} bytes (stream ${stream.status}, read ${stream.readStatus}, remote write ${stream.remoteWriteStatus})`)
  }
  const seconds = (performance.now() - started) / 1000
  await connection.close()
  return size / MiB / seconds
}

/** One tuning's relay (a child process), sender and receiver, and the two addresses the receiver dials. */
interface Setup {
  name: string
  child: ReturnType<typeof fork>
  sender: Libp2p<any>
  receiver: Libp2p<any>
  direct: string
  circuit: string
}

/** Starts a relay child, a sender that reserved a slot on it and serves RAW_PROTOCOL, and a receiver. */
async function setUp (name: string, profile: string[]): Promise<Setup> {
  const transport = TUNINGS[name]
  const child = fork(fileURLToPath(import.meta.url), ['--relay-child', name], { execArgv: [...process.execArgv, ...profile] })
  const [{ address: relayAddress }] = await once(child, 'message') as [{ address: string }]
  const sender = await node({}, transport)
  // neither side counts the other as public: nobody reverses the relayed connection
  const receiver = await node({}, transport)
  await sender.handle(RAW_PROTOCOL, serveRaw)
  await sender.dial(multiaddr(relayAddress))
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
  console.log(`${name}: relay ${relayAddress}; hop connections ${hop?.encryption ?? '?'} + ${hop?.multiplexer ?? '?'}`)
  return { name, child, sender, receiver, direct, circuit }
}

async function tearDown (setup: Setup): Promise<void> {
  await Promise.all([setup.sender.stop(), setup.receiver.stop()])
  setup.child.send({ type: 'stop' })
  await once(setup.child, 'exit')
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
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256MiB' }, runs: { type: 'string', default: '1' }, 'cpu-prof': { type: 'string' }, tunings: { type: 'string', default: 'joined' } } })
  const size = parseSize(values.size)
  const names = values.tunings.split(',')
  const unknown = names.find(name => TUNINGS[name] == null)
  if (unknown != null) {
    throw new Error(`--tunings ${unknown}: use ${Object.keys(TUNINGS).join(', ')}`)
  }
  const profile = values['cpu-prof'] == null ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
  const setups: Setup[] = []
  try {
    for (const name of names) {
      setups.push(await setUp(name, profile))
    }
    console.log(`${values.size} per case, ${values.runs} run(s)`)
    const perGiB = (ms: number): string => (ms / 1000 / (size / GiB)).toFixed(2)
    // per tuning: ratio, CPU per GiB of the direct ends, the relayed ends and the relay
    const figures = new Map<string, Array<{ ratio: number, direct: number, ends: number, relay: number }>>()
    for (let run = 1; run <= Number(values.runs); run++) {
      // Every run measures each tuning in turn, so machine drift hits all alike.
      for (const { name, child, receiver, direct, circuit } of setups) {
        // The sender and the receiver share this process: its CPU is what both ends spend.
        let ends = process.cpuUsage()
        const directRate = await transfer(receiver, direct, size)
        const directEndsMs = cpuMsSince(ends)
        const relayBefore = await relayCpuMs(child)
        ends = process.cpuUsage()
        const relayedRate = await transfer(receiver, circuit, size)
        const relayedEndsMs = cpuMsSince(ends)
        const relayCpu = await relayCpuMs(child) - relayBefore
        figures.set(name, [...figures.get(name) ?? [], { ratio: relayedRate / directRate, direct: directEndsMs, ends: relayedEndsMs, relay: relayCpu }])
        console.log(`run ${run} ${name}: direct ${directRate.toFixed(0)} MiB/s · relayed ${relayedRate.toFixed(0)} MiB/s · ratio ${(relayedRate / directRate).toFixed(2)}× · relay CPU ${perGiB(relayCpu)} s per GiB relayed`)
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

function parseSize (text: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(text)
  if (match == null) {
    throw new Error(`--size ${text}: write it like 256MiB`)
  }
  return Number(match[1]) * ({ KiB: 1024, MiB, GiB }[match[2] ?? ''] ?? 1)
}

const childAt = process.argv.indexOf('--relay-child')
if (childAt >= 0) {
  await relayChild(TUNINGS[process.argv[childAt + 1]])
} else {
  await main()
}
