/**
 * What protects a relay operator: relayed bytes never pass through the file
 * server's upload limiter (the relay only splices two streams), so the relay
 * meters them itself. Each relayed stream is read at most as fast as the total
 * rate and the rates of both peers of its circuit allow, and only as fast as
 * the other leg takes what is forwarded: once a rate is overdrawn or the other
 * leg is full the stream is held (./stream-hold.ts), which stops yamux window
 * updates, so the sender is held back by flow control instead of the relay
 * buffering.
 */
import { UploadRate } from '../../protocols/file/upload-rate.ts'
import { StreamHold } from './stream-hold.ts'
import type { Stream } from '@libp2p/interface'

/** The relay caps of `limits` (0 = unlimited for the rates). */
export interface RelayCapsInit {
  maxCircuits: number
  bytesPerSecond: number
  bytesPerSecondPerPeer: number
}

/** A quarter second of a rate may pass at once, so pauses stay short and frequent. */
const BURST_SECONDS = 0.25
/** At least this much may pass at once: one yamux frame's worth, so slow rates still move whole frames. */
const MIN_BURST_BYTES = 64 * 1024

interface PeerMeter {
  rate?: UploadRate
  circuits: number
}

/** Circuit admission and byte metering for one relay server. */
export class RelayCaps {
  private readonly init: RelayCapsInit
  private readonly total?: UploadRate
  private readonly peers = new Map<string, PeerMeter>()
  private readonly holds = new WeakMap<Stream, StreamHold>()
  private circuits = 0
  private relayedBytes = 0

  constructor (init: RelayCapsInit) {
    this.init = init
    this.total = newRate(init.bytesPerSecond)
  }

  /** Relayed connections open now. */
  get openCircuits (): number {
    return this.circuits
  }

  /** Bytes relayed since start, both directions. */
  get bytesRelayed (): number {
    return this.relayedBytes
  }

  /** True when one more circuit would exceed `maxCircuits`. */
  isFull (): boolean {
    return this.circuits >= this.init.maxCircuits
  }

  /**
   * Counts `stream` (the relay's leg towards `peers[0]`) as one open circuit
   * until it closes, charging it to every peer in `peers`.
   */
  openCircuit (stream: Stream, peers: string[]): void {
    this.circuits++
    for (const peer of peers) {
      this.peerMeter(peer).circuits++
    }
    stream.addEventListener('close', () => {
      this.circuits--
      for (const peer of peers) {
        const meter = this.peers.get(peer)
        if (meter != null && --meter.circuits <= 0) {
          this.peers.delete(peer)
        }
      }
    }, { once: true })
  }

  /**
   * Meters what is read from `stream` against the total rate and the rates of
   * `peers`: when a rate is overdrawn the stream is paused until it is not.
   */
  meter (stream: Stream, peers: string[]): void {
    const hold = this.holdOf(stream)
    let timer: ReturnType<typeof setTimeout> | undefined
    const onMessage = (event: { data: { byteLength: number } }): void => {
      const bytes = event.data.byteLength
      this.relayedBytes += bytes
      let waitMs = this.total?.book(bytes) ?? 0
      for (const peer of peers) {
        waitMs = Math.max(waitMs, this.peers.get(peer)?.rate?.book(bytes) ?? 0)
      }
      if (waitMs > 0 && !hold.has('rate')) {
        hold.hold('rate')
        timer = setTimeout(() => { hold.release('rate') }, Math.ceil(waitMs))
      }
    }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', () => {
      clearTimeout(timer)
      stream.removeEventListener('message', onMessage)
    }, { once: true })
  }

  /**
   * Reads `from` only while `to`, the leg its bytes are forwarded to, takes
   * them: when `to` needs a drain, `from` is held until it drains. Without
   * this a receiver slower than its sender (or one that stops reading) would
   * make the relay queue everything the sender sends.
   */
  holdWhileFull (from: Stream, to: Stream): void {
    const hold = this.holdOf(from)
    const release = (): void => { hold.release('drain') }
    const onMessage = (): void => {
      if (to.writableNeedsDrain && !hold.has('drain')) {
        hold.hold('drain')
        to.addEventListener('drain', release, { once: true })
      }
    }
    from.addEventListener('message', onMessage)
    from.addEventListener('close', () => {
      from.removeEventListener('message', onMessage)
      to.removeEventListener('drain', release)
    }, { once: true })
  }

  private holdOf (stream: Stream): StreamHold {
    let hold = this.holds.get(stream)
    if (hold == null) {
      hold = new StreamHold(stream)
      this.holds.set(stream, hold)
    }
    return hold
  }

  private peerMeter (peer: string): PeerMeter {
    let meter = this.peers.get(peer)
    if (meter == null) {
      meter = { rate: newRate(this.init.bytesPerSecondPerPeer), circuits: 0 }
      this.peers.set(peer, meter)
    }
    return meter
  }
}

function newRate (bytesPerSecond: number): UploadRate | undefined {
  return bytesPerSecond > 0 ? new UploadRate(bytesPerSecond, Math.max(MIN_BURST_BYTES, bytesPerSecond * BURST_SECONDS)) : undefined
}
