/**
 * Back-pressure through the connection encrypter. An encrypted connection
 * (`@libp2p/tls` 3.1, and noise the same way) tells its listeners 'drain'
 * whenever its socket drains, while its own write buffer may still hold
 * megabytes; yamux then lets every stream send again, each up to its send
 * window (16 MiB at most). Under load that buffer held 231 MiB of a daemon's
 * 650 MiB serving 32 peers (docs/benchmarks.md "Memory under load"). Here the
 * muxer hears 'drain' only once that buffer is empty ('idle'), so what waits
 * below the streams is bounded by what they send in one turn.
 */
import { adaptEncrypter } from './adapt-encrypter.ts'
import type { ConnectionEncrypter, MessageStream, SecuredConnection } from '@libp2p/interface'

type DrainListener = (event: Event) => void

/** Wraps a connection encrypter factory so the connections it secures report 'drain' only once their write buffer is empty. */
export function drainWhenSent<Components> (factory: (components: Components) => ConnectionEncrypter): (components: Components) => ConnectionEncrypter {
  return adaptEncrypter(factory, { afterHandshake: holdDrainUntilSent })
}

/** From now on, 'drain' listeners added to the secured connection (the muxer's) wait for its write buffer to empty. */
function holdDrainUntilSent (secured: SecuredConnection<unknown>): void {
  const connection: MessageStream = secured.connection
  const add = connection.addEventListener.bind(connection)
  const remove = connection.removeEventListener.bind(connection)
  const deferred = new Map<DrainListener, DrainListener>()
  connection.addEventListener = ((type: string, listener: unknown, options?: boolean | EventListenerOptions & { once?: boolean }) => {
    if (type !== 'drain' || typeof listener !== 'function' || deferred.has(listener as DrainListener)) {
      add(type as 'drain', listener as DrainListener, options)
      return
    }
    const drain = listener as DrainListener
    let waiting = false
    const whenSent: DrainListener = (event) => {
      if (connection.writeBufferLength === 0) {
        drain(event)
        return
      }
      // One wait per listener however many drains come before the buffer empties.
      if (!waiting) {
        waiting = true
        add('idle', () => {
          waiting = false
          drain(event)
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
