/**
 * Back-pressure through the connection encrypter. An encrypted connection
 * (`@libp2p/tls` 3.1, and noise the same way) tells its listeners 'drain'
 * whenever its socket drains, while its own write buffer may still hold
 * megabytes; yamux then lets every stream send again, each up to its send
 * window (16 MiB at most). Under load that buffer held 231 MiB of a daemon's
 * 650 MiB serving 32 peers (docs/benchmarks.md "Memory under load"). Here the
 * muxer hears 'drain' only once what that buffer held at the socket's drain
 * has been sent on, so what waits below the streams is bounded by what they
 * send in one turn.
 */
import { adaptEncrypter } from './adapt-encrypter.ts'
import type { ConnectionEncrypter, MessageStream, SecuredConnection } from '@libp2p/interface'

type DrainListener = (event: Event) => void

/** Wraps a connection encrypter factory so the connections it secures report 'drain' only once what their write buffer held has been sent. */
export function drainWhenSent<Components> (factory: (components: Components) => ConnectionEncrypter): (components: Components) => ConnectionEncrypter {
  return adaptEncrypter(factory, { afterHandshake: holdDrainUntilSent })
}

/**
 * From now on, 'drain' listeners added to the secured connection (the muxer's)
 * wait until the bytes queued when the socket drained have been sent on.
 * Not until the buffer is empty: a yamux stream sends again on each window
 * update its reader returns, drained or not, so one busy stream can keep the
 * buffer from ever emptying, and a stream that waits for the muxer's drain
 * (its window open, nothing in flight to bring it an update) then got no
 * turn at all: a piece stalled 30 s beside a busy one (docs/benchmarks.md
 * "Two lanes per peer stall under load"). Bytes queued later do not delay it.
 */
function holdDrainUntilSent (secured: SecuredConnection<unknown>): void {
  const connection: MessageStream = secured.connection
  const add = connection.addEventListener.bind(connection)
  const remove = connection.removeEventListener.bind(connection)
  const send = connection.send.bind(connection)
  let queued = 0
  connection.send = (data) => {
    queued += data.byteLength
    return send(data)
  }
  const deferred = new Map<DrainListener, DrainListener>()
  connection.addEventListener = ((type: string, listener: unknown, options?: boolean | EventListenerOptions & { once?: boolean }) => {
    if (type !== 'drain' || typeof listener !== 'function' || deferred.has(listener as DrainListener)) {
      add(type as 'drain', listener as DrainListener, options)
      return
    }
    const drain = listener as DrainListener
    // what must have left the buffer (counted in bytes ever queued) before the listener hears the drain
    let until: number | undefined
    let idleArmed = false
    const release = (event: Event): void => {
      if (until === undefined || queued - connection.writeBufferLength < until) {
        return
      }
      until = undefined
      drain(event)
    }
    const whenSent: DrainListener = (event) => {
      if (until === undefined && connection.writeBufferLength === 0) {
        drain(event)
        return
      }
      until ??= queued
      // The connection's own drain listener (added first) sends on in a
      // microtask queued before this one: count what it sent, then decide.
      queueMicrotask(() => { release(event) })
      // one 'idle' listener per drain listener however many drains come before the buffer empties
      if (!idleArmed) {
        idleArmed = true
        add('idle', () => {
          idleArmed = false
          release(event)
        }, { once: true })
      }
    }
    deferred.set(drain, whenSent)
    add('drain', whenSent, options)
  }) as MessageStream['addEventListener']
  connection.removeEventListener = ((type: string, listener: unknown, options?: boolean | EventListenerOptions) => {
    const whenSent = type === 'drain' ? deferred.get(listener as DrainListener) : undefined
    if (whenSent != null) {
      deferred.delete(listener as DrainListener)
      remove('drain', whenSent, options)
      return
    }
    remove(type as 'drain', listener as DrainListener, options)
  }) as MessageStream['removeEventListener']
}
