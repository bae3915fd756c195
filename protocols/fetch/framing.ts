/**
 * Length-prefixed framing on a libp2p v3 stream: an unsigned LEB128 varint
 * (minimal, at most 5 bytes) with the body length, then the body.
 *
 * Why not `lpStream` from @libp2p/utils: it reports a clean end of stream and
 * a stream cut inside a frame with the same error, and the spec treats them
 * differently (the first is the normal end of an answer, the second a
 * truncated frame).
 */
import { StreamStateError } from '@libp2p/interface'
import { raceSignal } from 'race-signal'
import { Uint8ArrayList } from 'uint8arraylist'
import { sendBufferBelow } from '../shared/back-pressure.ts'
import { checkPrefixByte, lengthPrefixed } from '../shared/varint.ts'
import { MAX_MESSAGE_BYTES } from './constants.ts'
import { InvalidMessageError, MessageTooLargeError, TruncatedMessageError } from './errors.ts'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

/** A varint longer than this cannot be a frame length we would accept (2^35 > any configured maximum). */
const MAX_PREFIX_BYTES = 5
/** Decoded frames held before the reader pauses the stream; the muxer then holds the sender back. */
const HIGH_WATER_FRAMES = 16

/** The bytes of one frame: varint length, then `body`. */
export function encodeFrame (body: Uint8Array): Uint8Array {
  return lengthPrefixed(body)
}

/**
 * Writes one frame, then waits (bounded by `signal`) until no more than one
 * largest frame's worth of bytes waits in the send buffer, so a relay
 * answering a slow reader holds at most that much for it.
 */
export async function sendFrame (stream: Stream, frame: Uint8Array, signal: AbortSignal, bufferLimit = MAX_MESSAGE_BYTES): Promise<void> {
  stream.send(frame)
  await sendBufferBelow(stream, bufferLimit, signal)
}

/**
 * Reads one frame length from the front of `buffer`. Returns undefined while
 * the prefix is incomplete; throws as soon as the prefix is over-long, not
 * minimal, zero, or larger than `maxLength` — before the body is buffered.
 */
function readLengthPrefix (buffer: Uint8ArrayList, maxLength: number): { length: number, prefixBytes: number } | undefined {
  let length = 0
  for (let i = 0; i < buffer.byteLength; i++) {
    const step = checkPrefixByte(length, buffer.get(i), i, { maxValue: maxLength, maxBytes: MAX_PREFIX_BYTES })
    length = step.value
    if (step.state === 'fault') {
      throw step.fault === 'too-large'
        ? new MessageTooLargeError(`frame of ${length}+ bytes, the limit is ${maxLength}`)
        : new InvalidMessageError(step.fault === 'too-long' ? `frame length prefix longer than ${MAX_PREFIX_BYTES} bytes` : 'frame length prefix is not minimally encoded')
    }
    if (step.state === 'done') {
      if (length === 0) {
        throw new InvalidMessageError('empty frame')
      }
      return { length, prefixBytes: i + 1 }
    }
  }
  return undefined
}

/**
 * Reads frames from a stream as they arrive. `next()` gives the next frame
 * body, `null` at a clean end of stream (remote closed its write side between
 * frames), or throws: {@link MessageTooLargeError}, {@link InvalidMessageError},
 * {@link TruncatedMessageError}, the stream's own error when it was reset or
 * aborted, or the signal's reason. The caller decides to abort the stream.
 */
export class FrameReader {
  private readonly stream: Stream
  private readonly maxMessageBytes: number
  private readonly onBytes: (bytes: number) => void
  private readonly buffer = new Uint8ArrayList()
  private readonly frames: Uint8ArrayList[] = []
  private ended = false
  private failure?: Error
  private wake?: () => void

  constructor (stream: Stream, maxMessageBytes: number, onBytes: (bytes: number) => void = () => {}) {
    this.stream = stream
    this.maxMessageBytes = maxMessageBytes
    this.onBytes = onBytes
    this.onMessage = this.onMessage.bind(this)
    this.onEnd = this.onEnd.bind(this)
    this.onClose = this.onClose.bind(this)
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
    // 'end' and 'close' fire once: a remote that closed its side with nothing sent before this
    // reader existed (e.g. during our own close()) would otherwise go unnoticed until the deadline
    if (stream.status === 'reset' || stream.status === 'aborted') {
      this.failure = new StreamStateError(`the stream was ${stream.status} before it was read`)
    } else if (stream.readBufferLength === 0 && stream.remoteWriteStatus === 'closed') {
      this.ended = true
    }
  }

  /** The next frame body, or null at a clean end of stream. */
  async next (signal: AbortSignal): Promise<Uint8ArrayList | null> {
    while (true) {
      const frame = this.frames.shift()
      if (frame != null) {
        this.maybeResume()
        return frame
      }
      if (this.failure != null) {
        throw this.failure
      }
      if (this.ended) {
        if (this.buffer.byteLength > 0) {
          throw new TruncatedMessageError(`stream ended ${this.buffer.byteLength} bytes into a frame`)
        }
        return null
      }
      const woken = Promise.withResolvers<void>()
      this.wake = woken.resolve
      await raceSignal(woken.promise, signal)
    }
  }

  /** Stops listening; a pending `next()` returns what is left (or null). */
  dispose (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
    this.buffer.consume(this.buffer.byteLength)
    this.ended = true
    this.notify()
  }

  private onMessage (event: StreamMessageEvent): void {
    if (this.failure != null || this.ended) {
      return
    }
    this.onBytes(event.data.byteLength)
    this.buffer.append(event.data)
    try {
      while (true) {
        const prefix = readLengthPrefix(this.buffer, this.maxMessageBytes)
        if (prefix == null || this.buffer.byteLength < prefix.prefixBytes + prefix.length) {
          break
        }
        this.frames.push(this.buffer.sublist(prefix.prefixBytes, prefix.prefixBytes + prefix.length))
        this.buffer.consume(prefix.prefixBytes + prefix.length)
      }
    } catch (err) {
      this.failure = err as Error
      this.buffer.consume(this.buffer.byteLength)
    }
    // data buffered before this reader existed arrives after the stream's one 'end' event has been spent
    if (this.stream.remoteWriteStatus === 'closed' && this.stream.readBufferLength === 0) {
      this.ended = true
    }
    if (this.frames.length >= HIGH_WATER_FRAMES && this.stream.readStatus === 'readable') {
      this.stream.pause()
    }
    this.notify()
  }

  /** 'end' comes after the last data; on a reset or abort it comes first and 'close' brings the error right after. */
  private onEnd (): void {
    if (this.stream.status === 'reset' || this.stream.status === 'aborted') {
      return
    }
    this.ended = true
    this.notify()
  }

  private onClose (event: StreamCloseEvent): void {
    if (event.error != null) {
      this.failure ??= event.error
      this.ended = true
    } else if (this.stream.readBufferLength === 0) {
      this.ended = true
    }
    // a clean close while this reader holds the stream paused leaves data in the stream's buffer: it is
    // delivered on resume and 'end' follows it (ending here lost every frame behind the high-water mark)
    this.notify()
  }

  private maybeResume (): void {
    if (this.frames.length < HIGH_WATER_FRAMES / 2 && this.stream.readStatus === 'paused') {
      try {
        this.stream.resume()
      } catch (err) {
        // the buffered data was dispatched before the muxer was asked for more; a closed stream has no more
        this.stream.log.trace('resume after close - %e', err)
      }
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
