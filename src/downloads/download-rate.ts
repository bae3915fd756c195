import { setTimeout as sleep } from 'node:timers/promises'
import { UploadRate } from '../../protocols/file/upload-rate.ts'

/**
 * The node's total download rate. Piece requests book their bytes here
 * before they are sent, and wait their turn: the pace is set by when we ask,
 * so nothing arrives faster than the rate and nothing is buffered to slow it
 * down. The rate can change at any time; 0 means unlimited.
 */
export class DownloadRate {
  private limitBytesPerSecond = 0
  private rate?: UploadRate

  constructor (bytesPerSecond = 0) {
    this.set(bytesPerSecond)
  }

  /** Bytes per second; 0 = unlimited. */
  get bytesPerSecond (): number {
    return this.limitBytesPerSecond
  }

  /** Changes the rate; requests already waiting keep the wait they were given. */
  set (bytesPerSecond: number): void {
    this.limitBytesPerSecond = bytesPerSecond
    // A burst of a quarter second's allowance: after a pause the first request goes out at once, no more.
    this.rate = bytesPerSecond > 0 ? new UploadRate(bytesPerSecond, bytesPerSecond / 4) : undefined
  }

  /** Waits until `bytes` may be requested. */
  async take (bytes: number, signal: AbortSignal): Promise<void> {
    const waitMs = this.rate?.book(bytes) ?? 0
    if (waitMs > 0) {
      await sleep(waitMs, undefined, { signal })
    }
  }
}
