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
 *   npx node bench/relay.ts [--size 256MiB] [--runs 1] [--cpu-prof DIR]
 *
 * `--cpu-prof DIR` writes the relay process's V8 CPU profile into DIR (open
 * it in Chrome's DevTools, or sum its self time by function).
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
import type { ReachOptions } from '../src/reach/libp2p-options.ts'
import type { Libp2p } from '@libp2p/interface'

const RAW_PROTOCOL = '/peerit-bench/raw/1.0'
const CHUNK = 256 * 1024
const MiB = 1024 * 1024
const GiB = 1024 * MiB

/** A PeerIT libp2p node on loopback with the given reachability settings, nothing shared. */
async function node (reach: Partial<ReachOptions>): Promise<Libp2p<any>> {
  const { libp2p } = await createPeeritLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    fetch: { localFiles: () => [] },
    file: { lookup: () => undefined },
    limits: resolveLimits({ inboundConnectionsPerSecond: 1000 }),
    reach: { ...DEFAULT_REACH, mdns: false, upnp: false, ...reach }
  })
  await libp2p.start()
  return libp2p
}

async function relayChild (): Promise<void> {
  const relay = await node({ relayServer: true, publicNetworks: ['127.0.0.1/32'] })
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

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '256MiB' }, runs: { type: 'string', default: '1' }, 'cpu-prof': { type: 'string' } } })
  const size = parseSize(values.size)
  const profile = values['cpu-prof'] == null ? [] : ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
  const child = fork(fileURLToPath(import.meta.url), ['--relay-child'], { execArgv: [...process.execArgv, ...profile] })
  const [{ address: relayAddress }] = await once(child, 'message') as [{ address: string }]
  const sender = await node({})
  // neither side counts the other as public: nobody reverses the relayed connection
  const receiver = await node({})
  await sender.handle(RAW_PROTOCOL, async (stream) => {
    // the request is the size as 8 bytes, read without iterating (which would end our side too)
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
  })
  try {
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
    console.log(`${values.size} per case, ${values.runs} run(s); relay ${relayAddress}; hop connections ${hop?.encryption ?? '?'} + ${hop?.multiplexer ?? '?'}`)
    const perGiB = (ms: number): string => (ms / 1000 / (size / GiB)).toFixed(2)
    for (let run = 1; run <= Number(values.runs); run++) {
      // The sender and the receiver share this process: its CPU is what both ends spend.
      let ends = process.cpuUsage()
      const directRate = await transfer(receiver, direct, size)
      const directEndsMs = cpuMsSince(ends)
      const relayBefore = await relayCpuMs(child)
      ends = process.cpuUsage()
      const relayedRate = await transfer(receiver, circuit, size)
      const relayedEndsMs = cpuMsSince(ends)
      const relayCpu = await relayCpuMs(child) - relayBefore
      console.log(`run ${run}: direct ${directRate.toFixed(0)} MiB/s · relayed ${relayedRate.toFixed(0)} MiB/s · ratio ${(relayedRate / directRate).toFixed(2)}× · relay CPU ${perGiB(relayCpu)} s per GiB relayed`)
      console.log(`       CPU per GiB: direct ${perGiB(directEndsMs)} s (both ends) · relayed ${perGiB(relayedEndsMs)} s (both ends) + ${perGiB(relayCpu)} s (relay) = ${((relayedEndsMs + relayCpu) / directEndsMs).toFixed(1)}× the direct CPU`)
    }
  } finally {
    await Promise.all([sender.stop(), receiver.stop()])
    child.send({ type: 'stop' })
    await once(child, 'exit')
  }
}

function parseSize (text: string): number {
  const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(text)
  if (match == null) {
    throw new Error(`--size ${text}: write it like 256MiB`)
  }
  return Number(match[1]) * ({ KiB: 1024, MiB, GiB }[match[2] ?? ''] ?? 1)
}

if (process.argv.includes('--relay-child')) {
  await relayChild()
} else {
  await main()
}
