import { checkPrefixByte } from '../shared/varint.ts'
import { ConnectionClosedError, ProtocolError, TimeoutError } from './errors.ts'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'

/** Options of {@link StreamReader}. */
export interface StreamReaderOptions {
  /** Pause the stream once this many received bytes wait to be read. */
  highWaterMark: number
  /** Abort the stream when a read waits this long without a byte arriving. */
  timeoutMs: number
  signal?: AbortSignal
}

/**
 * Largest yamux stream window (16 MiB) twice over. While a stream is paused
 * the peer may still send what the window allows, and libp2p resets a paused
 * stream whose buffer passes `maxReadBufferLength` (4 MiB by default).
 */
const PAUSED_READ_BUFFER_LENGTH = 32 * 1024 * 1024
/** An unsigned varint carrying at most 2^53 needs at most 8 bytes. */
const MAX_VARINT_BYTES = 8

/**
 * Reads a libp2p stream exactly, with back-pressure, and without the per-chunk
 * allocations of `byteStream`: received chunks are queued as they come and
 * either copied once, straight into the caller's buffer, or handed over as
 * views (`readChunks`, for piece bodies). When the caller falls behind,
 * the stream is paused (yamux then stops granting the peer window) instead of
 * buffering without bound.
 */
export class StreamReader {
  private readonly stream: Stream
  private readonly highWaterMark: number
  private readonly timeoutMs: number
  private readonly signal?: AbortSignal
  private readonly chunks: Uint8Array[] = []
  private offset = 0
  private buffered = 0
  private ended = false
  /**
   * The peer ended its side (a yamux FIN) before the stream closed. A stream
   * that closes without it lost its connection (libp2p closes the streams of a
   * connection whose transport ended, without an error): a lost path, not a
   * peer that cut its answer short.
   */
  private remoteEnded = false
  private error?: Error
  private wake?: () => void
  private waiting = false
  private resuming = false
  private readonly timer: NodeJS.Timeout

  constructor (stream: Stream, options: StreamReaderOptions) {
    this.stream = stream
    this.highWaterMark = options.highWaterMark
    this.timeoutMs = options.timeoutMs
    this.signal = options.signal
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_READ_BUFFER_LENGTH)
    // One timer refreshed per wait; it only counts while a read is waiting, so a
    // slow consumer (stream paused on purpose) is never mistaken for a stall.
    this.timer = setTimeout(this.onTimeout, this.timeoutMs)
    this.timer.unref()
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('remoteCloseWrite', this.onRemoteCloseWrite)
    stream.addEventListener('close', this.onClose)
    this.signal?.addEventListener('abort', this.onAbort)
    if (this.signal?.aborted === true) {
      this.onAbort()
    }
  }

  /**
   * Reads a varint length prefix (minimal, at most 8 bytes, as in the spec),
   * refusing it as soon as it passes `maxLength`, then reads that many bytes.
   */
  async readLengthPrefixed (maxLength: number): Promise<Uint8Array> {
    let length = 0
    for (let i = 0; ; i++) {
      const step = checkPrefixByte(length, await this.readByte(), i, { maxValue: maxLength, maxBytes: MAX_VARINT_BYTES })
      length = step.value
      if (step.state === 'fault') {
        throw new ProtocolError(step.fault === 'too-large'
          ? `message of ${length}+ bytes is over the limit of ${maxLength}`
          : step.fault === 'too-long' ? 'varint too long' : 'varint not minimally encoded')
      }
      if (step.state === 'done') {
        break
      }
    }
    const bytes = new Uint8Array(length)
    await this.readInto(bytes)
    return bytes
  }

  /** Fills `target` completely; throws {@link ProtocolError} if the stream ends first. */
  async readInto (target: Uint8Array): Promise<void> {
    let filled = 0
    while (filled < target.byteLength) {
      await this.fill()
      const chunk = this.chunks[0]
      const take = Math.min(chunk.byteLength - this.offset, target.byteLength - filled)
      target.set(chunk.subarray(this.offset, this.offset + take), filled)
      filled += take
      this.consume(take)
    }
  }

  /**
   * Reads exactly `length` bytes as views of the received chunks, without
   * copying them; throws {@link ProtocolError} if the stream ends first.
   */
  async readChunks (length: number): Promise<Uint8Array[]> {
    const taken: Uint8Array[] = []
    for (let left = length; left > 0;) {
      await this.fill()
      const chunk = this.chunks[0]
      const take = Math.min(chunk.byteLength - this.offset, left)
      taken.push(chunk.subarray(this.offset, this.offset + take))
      left -= take
      this.consume(take)
    }
    return taken
  }

  /** Waits for the end of the stream; throws {@link ProtocolError} if more bytes arrive instead. */
  async readEnd (): Promise<void> {
    if (await this.fill(true)) {
      throw new ProtocolError('the peer sent more bytes than were asked for')
    }
  }

  /** Detaches from the stream; the reader is unusable afterwards. */
  dispose (): void {
    clearTimeout(this.timer)
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('remoteCloseWrite', this.onRemoteCloseWrite)
    this.stream.removeEventListener('close', this.onClose)
    this.signal?.removeEventListener('abort', this.onAbort)
    this.chunks.length = 0
    this.buffered = 0
  }

  private async readByte (): Promise<number> {
    await this.fill()
    const byte = this.chunks[0][this.offset]
    this.consume(1)
    return byte
  }

  /**
   * Waits until at least one byte is queued and returns true. At the end of the
   * stream returns false when `endOk`, else throws {@link ProtocolError}.
   */
  private async fill (endOk = false): Promise<boolean> {
    while (true) {
      if (this.error != null) {
        throw this.error
      }
      if (this.buffered > 0) {
        return true
      }
      if (this.stream.readStatus === 'paused') {
        this.resume()
        continue
      }
      if (this.ended) {
        if (endOk) {
          return false
        }
        throw this.remoteEnded
          ? new ProtocolError('the stream ended before all expected bytes arrived')
          : new ConnectionClosedError('the connection closed before all expected bytes arrived')
      }
      await this.nextEvent()
    }
  }

  private async nextEvent (): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>()
    this.wake = resolve
    this.waiting = true
    this.timer.refresh()
    try {
      await promise
    } finally {
      this.waiting = false
      this.wake = undefined
    }
  }

  private consume (length: number): void {
    this.offset += length
    this.buffered -= length
    if (this.offset === this.chunks[0].byteLength) {
      this.chunks.shift()
      this.offset = 0
    }
    if (this.stream.readStatus === 'paused' && this.buffered < this.highWaterMark / 2) {
      this.resume()
    }
  }

  /**
   * `resume()` first hands the stream's held data to onMessage, then reopens the
   * yamux window. Pausing from inside that hand-over would be undone by the
   * window update that follows (the peer could then overrun the buffer), so
   * the high-water check waits until resume() has returned.
   */
  private resume (): void {
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    this.pauseIfFull()
  }

  private pauseIfFull (): void {
    if (!this.resuming && this.buffered >= this.highWaterMark && this.stream.readStatus === 'readable') {
      this.stream.pause()
    }
  }

  private readonly onMessage = (event: StreamMessageEvent): void => {
    const data = event.data
    if (data instanceof Uint8Array) {
      this.chunks.push(data)
    } else {
      for (const chunk of data) {
        this.chunks.push(chunk)
      }
    }
    this.buffered += data.byteLength
    this.pauseIfFull()
    this.wake?.()
  }

  private readonly onRemoteCloseWrite = (): void => {
    this.remoteEnded = true
    this.ended = true
    this.wake?.()
  }

  private readonly onClose = (event: StreamCloseEvent): void => {
    if (event.error != null) {
      this.error ??= event.error
    }
    this.ended = true
    this.wake?.()
  }

  private readonly onAbort = (): void => {
    this.fail(this.signal?.reason ?? new Error('aborted'))
  }

  private readonly onTimeout = (): void => {
    if (this.waiting) {
      this.fail(new TimeoutError(`no data moved for ${this.timeoutMs} ms`))
    }
  }

  private fail (error: Error): void {
    this.error ??= error
    this.stream.abort(error)
    this.wake?.()
  }
}
