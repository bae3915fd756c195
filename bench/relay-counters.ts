/**
 * Operation counters for `bench/relay.ts --count`: how many yamux frames,
 * window updates, stream sends, TLS records, socket writes and event-loop
 * callbacks one process spends, per leg. They wrap methods of the installed
 * libp2p packages' prototypes in the bench process only (a node never loads
 * this), so the figures are what the unmodified code does, plus a counter.
 *
 * Legs: `hop` is a yamux muxer over a TCP connection (a direct connection or
 * a hop to the relay), `e2e` one over a relayed stream (the end-to-end
 * connection through the relay).
 */
import { createHook } from 'node:async_hooks'
import { Socket } from 'node:net'
import { TLSSocket } from 'node:tls'
import { AbstractMessageStream } from '@libp2p/utils'

/** Counter name → count (bytes where the name says so). */
export type Counts = Record<string, number>

const counts: Counts = {}

function add (name: string, by = 1): void {
  counts[name] = (counts[name] ?? 0) + by
}

/** A size class for histograms: the smallest power-of-two KiB bound the size is under. */
function sizeClass (bytes: number): string {
  for (const kib of [1, 4, 16, 64, 256, 1024]) {
    if (bytes <= kib * 1024) {
      return `≤${kib}K`
    }
  }
  return '>1M'
}

/** Wraps `target[method]` so `count(this, args)` runs before each call. */
function wrap (target: any, method: string, count: (self: any, args: any[]) => void): void {
  const original = target[method]
  if (typeof original !== 'function') {
    throw new Error(`relay-counters: ${method} is not a method here; the installed package changed`)
  }
  target[method] = function (this: any, ...args: any[]) {
    count(this, args)
    return original.apply(this, args)
  }
}

/** Which leg a yamux muxer carries (see the module comment). */
function legOf (muxer: any): string {
  // the secured connection's transport: a relayed stream (wrapped by circuit-relay-v2) or TCP
  muxer.benchLeg ??= ['StreamMultiaddrConnection', 'YamuxStream'].includes(muxer.maConn?.stream?.constructor?.name) ? 'e2e' : 'hop'
  return muxer.benchLeg
}

/** Installs every counter in this process. Call once, before nodes start. */
export async function installCounters (): Promise<void> {
  const yamuxDir = new URL('.', import.meta.resolve('@chainsafe/libp2p-yamux'))
  const { YamuxMuxer } = await import(new URL('muxer.js', yamuxDir).href)
  const { YamuxStream } = await import(new URL('stream.js', yamuxDir).href)
  wrap(YamuxMuxer.prototype, 'handleFrame', (muxer, [frame]) => {
    const leg = legOf(muxer)
    if (frame.header.type === 0) {
      add(`yamux ${leg}: data frames in`)
      add(`yamux ${leg}: data frames in ${sizeClass(frame.header.length)}`)
    } else if (frame.header.type === 1) {
      add(`yamux ${leg}: window updates in`)
    }
  })
  wrap(YamuxMuxer.prototype, 'sendFrame', (muxer, [header]) => {
    const leg = legOf(muxer)
    add(header.type === 0 ? `yamux ${leg}: data frames out` : `yamux ${leg}: control frames out (window updates…)`)
  })
  wrap(YamuxStream.prototype, 'sendPause', () => { add('yamux streams paused') })
  wrap(YamuxStream.prototype, 'sendResume', () => { add('yamux streams resumed') })
  wrap(AbstractMessageStream.prototype, 'send', (stream, [data]) => {
    const kind = stream.constructor.name === 'YamuxStream' ? 'yamux stream' : stream.constructor.name
    add(`send() on ${kind}`)
    if (kind === 'yamux stream') {
      add(`send() on yamux stream ${sizeClass(data.byteLength)}`)
    }
  })
  wrap(TLSSocket.prototype, 'push', (_socket, [chunk]) => {
    if (chunk != null) {
      add('TLS: decrypted reads (≈ records)')
    }
  })
  wrap(TLSSocket.prototype, 'write', () => { add('TLS: plaintext writes') })
  wrap(Socket.prototype, '_writeGeneric', (socket) => {
    if (!(socket instanceof TLSSocket)) {
      add('TCP: socket writes')
    }
  })
  wrap(Socket.prototype, 'push', (socket, [chunk]) => {
    if (!(socket instanceof TLSSocket) && chunk != null) {
      add('TCP: socket reads')
    }
  })
  // Each `before` is one callback from the event loop into JavaScript (I/O, timers, immediates).
  createHook({ before: () => { add('event-loop callbacks') } }).enable()
}

/** A copy of the counts so far. */
export function snapshot (): Counts {
  return { ...counts }
}

/** What was counted between two snapshots, per MiB of `bytes`. */
export function perMiB (before: Counts, after: Counts, bytes: number): Counts {
  const result: Counts = {}
  for (const [name, value] of Object.entries(after)) {
    const delta = value - (before[name] ?? 0)
    if (delta > 0) {
      result[name] = delta / (bytes / (1024 * 1024))
    }
  }
  return result
}
