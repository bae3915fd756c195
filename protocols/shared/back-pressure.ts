/**
 * Back-pressure shared by the PeerIT protocols: how a sender waits for a slow
 * reader without buffering without bound.
 */
import { StreamStateError } from '@libp2p/interface'
import type { Stream, StreamCloseEvent } from '@libp2p/interface'

/**
 * Waits until at most `limit` bytes wait in the stream's send buffer.
 *
 * Not `stream.onDrain()`: in @libp2p/utils 7.x it keeps the promise of the first
 * drain, so every later call resolves at once and a fast sender buffers a whole
 * file in memory. Not a single 'drain' either: yamux emits one for every window
 * update, however small, so one event does not mean room for another chunk.
 */
export async function sendBufferBelow (stream: Stream, limit: number, signal: AbortSignal): Promise<void> {
  while (stream.writeBufferLength > limit) {
    signal.throwIfAborted()
    if (stream.status !== 'open') {
      throw new StreamStateError(`the stream is ${stream.status}`)
    }
    await nextSendEvent(stream, signal)
  }
}

/** Resolves on the next 'drain' or 'idle', rejects on 'close' or abort. */
async function nextSendEvent (stream: Stream, signal: AbortSignal): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>()
  const onReady = (): void => { resolve() }
  const onClose = (event: StreamCloseEvent): void => { reject(event.error ?? new StreamStateError('the stream closed')) }
  const onAbort = (): void => { reject(signal.reason) }
  stream.addEventListener('drain', onReady)
  stream.addEventListener('idle', onReady)
  stream.addEventListener('close', onClose)
  signal.addEventListener('abort', onAbort)
  try {
    await promise
  } finally {
    stream.removeEventListener('drain', onReady)
    stream.removeEventListener('idle', onReady)
    stream.removeEventListener('close', onClose)
    signal.removeEventListener('abort', onAbort)
  }
}
