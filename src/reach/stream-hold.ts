/**
 * Holding a relayed stream: it stays paused while any reason holds it (a rate
 * overdrawn, the other leg full) and resumes once none does. A paused yamux
 * stream sends no window updates, so its sender is held back by flow control
 * and the relay buffers at most the window it already granted.
 */
import type { Stream } from '@libp2p/interface'

/** Why a stream is held: several may hold it at once. */
export type HoldReason = 'rate' | 'drain'

/** Pauses `stream` while any {@link HoldReason} holds it. */
export class StreamHold {
  private readonly stream: Stream
  private readonly reasons = new Set<HoldReason>()

  constructor (stream: Stream) {
    this.stream = stream
  }

  /** True while `reason` holds the stream. */
  has (reason: HoldReason): boolean {
    return this.reasons.has(reason)
  }

  /** Holds the stream for `reason`; it pauses once the current dispatch has returned. */
  hold (reason: HoldReason): void {
    this.reasons.add(reason)
    // Pause after this dispatch has returned: when it came from resume(), resume()
    // goes on to send a window update, which would undo a pause made in here.
    queueMicrotask(() => {
      if (this.reasons.size > 0 && this.stream.readStatus === 'readable') {
        this.stream.pause()
      }
    })
  }

  /** Lets go of `reason`; with no reason left the stream resumes. */
  release (reason: HoldReason): void {
    this.reasons.delete(reason)
    if (this.reasons.size === 0 && this.stream.readStatus === 'paused') {
      this.stream.resume()
    }
  }
}
