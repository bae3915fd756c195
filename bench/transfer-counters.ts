/**
 * Counts what a receiver of bench/transfer.ts does per transfer, for
 * `PEERIT_BENCH_COUNTERS=1 node bench/transfer.ts …`: loaded with `--import`
 * into every child, it wraps a few prototypes (yamux streams, file handles,
 * the file client) and prints one `counters` line when a receiver exits. It
 * measures only: nothing it wraps changes what the code does.
 *
 * - `streams`: piece requests (one yamux stream each); `dataFrames`,
 *   `windowUpdates`: yamux frames received and window updates sent;
 * - `pauses`, `pausedMs`: how often and how long the receiver held a stream
 *   paused because its consumer fell behind (the sender waits meanwhile);
 * - `fileWrites`, `writeMs` (summed wall time of the awaited writes),
 *   `datasyncs`, `datasyncMs`, `hashes`;
 * - `firstPieceMs` (from the receiver's start), `idleMs` (time between the
 *   first and the last piece with no request delivering: the gaps between
 *   requests), `endMs` (from the last piece to the receiver's exit:
 *   flush, sync, rename).
 */
import crypto from 'node:crypto'
import { open } from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { FileClient } from '../protocols/file/client.ts'
import type { PieceData } from '../protocols/file/index.ts'

const started = performance.now()
const counts = { streams: 0, dataFrames: 0, windowUpdates: 0, pauses: 0, pausedMs: 0, fileWrites: 0, writeMs: 0, datasyncs: 0, datasyncMs: 0, hashes: 0 }
let firstPieceAt: number | undefined
let lastPieceAt = 0
let delivering = 0
let idleSince: number | undefined
let idleMs = 0

type Method = (...args: any[]) => any

/** Replaces `proto[name]` by a wrapper that gets the original. */
function wrap (proto: any, name: string, wrapper: (original: Method) => Method): void {
  proto[name] = wrapper(proto[name])
}

/** Adds an awaited call's wall time to `counts[key]`. */
function timed (key: 'writeMs' | 'datasyncMs', count: 'fileWrites' | 'datasyncs') {
  return (original: Method): Method => async function (this: unknown, ...args: unknown[]) {
    const start = performance.now()
    try {
      return await original.apply(this, args)
    } finally {
      counts[count]++
      counts[key] += performance.now() - start
    }
  }
}

const stream: any = YamuxStream.prototype
wrap(stream, 'handleData', original => function (this: any, frame: unknown) {
  counts.dataFrames++
  return original.call(this, frame)
})
wrap(stream, 'sendWindowUpdate', original => function (this: any) {
  const before = this.recvWindowCapacity
  const result = original.call(this)
  if (this.recvWindowCapacity > before) {
    counts.windowUpdates++
  }
  return result
})
wrap(stream, 'sendPause', original => function (this: any) {
  counts.pauses++
  this.pausedAt = performance.now()
  return original.call(this)
})
wrap(stream, 'sendResume', original => function (this: any) {
  if (this.pausedAt != null) {
    counts.pausedMs += performance.now() - this.pausedAt
    this.pausedAt = undefined
  }
  return original.call(this)
})

const handle = await open(import.meta.filename, 'r')
const fileHandle = Object.getPrototypeOf(handle)
await handle.close()
wrap(fileHandle, 'write', timed('writeMs', 'fileWrites'))
wrap(fileHandle, 'writev', timed('writeMs', 'fileWrites'))
wrap(fileHandle, 'datasync', timed('datasyncMs', 'datasyncs'))

wrap(crypto, 'createHash', original => function (this: unknown, ...args: unknown[]) {
  counts.hashes++
  return original.apply(this, args)
})
syncBuiltinESMExports()

wrap(FileClient.prototype, 'requestPieces', original => async function * (this: unknown, ...args: unknown[]): AsyncGenerator<PieceData> {
  counts.streams++
  let first = true
  try {
    for await (const piece of original.apply(this, args) as AsyncGenerator<PieceData>) {
      const now = performance.now()
      if (first) {
        first = false
        firstPieceAt ??= now
        if (delivering++ === 0 && idleSince != null) {
          idleMs += now - idleSince
        }
      }
      lastPieceAt = now
      yield piece
    }
  } finally {
    if (!first && --delivering === 0) {
      idleSince = performance.now()
    }
  }
})

const child = process.argv.indexOf('--child')
const job = child === -1 ? undefined : JSON.parse(process.argv[child + 1]) as { role: string, key: string, encrypter: string }
if (job?.role === 'receiver') {
  process.once('exit', () => {
    const round = (ms: number): number => Math.round(ms)
    // Cases without pieces (a raw stream) have no phases.
    const phases = firstPieceAt == null ? {} : { firstPieceMs: round(firstPieceAt - started), idleMs: round(idleMs), endMs: round(performance.now() - lastPieceAt) }
    const line = { ...counts, pausedMs: round(counts.pausedMs), writeMs: round(counts.writeMs), datasyncMs: round(counts.datasyncMs), ...phases }
    process.stderr.write(`counters (${job.key}/${job.encrypter}) ${JSON.stringify(line)}\n`)
  })
}
