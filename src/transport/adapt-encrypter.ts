/**
 * One way to change what a connection encrypter's connections do, without
 * patching it: the encrypter libp2p sees stays the same object (its protocol,
 * capabilities and tag, through the prototype chain); only its two calls are
 * wrapped, so a hook sees the connection before the handshake and the
 * secured one after it.
 */
import type { ConnectionEncrypter, MessageStream, SecuredConnection } from '@libp2p/interface'

/** What to do around a handshake; either hook may be left out. */
export interface EncrypterHooks {
  /** The connection the encrypter will write its records into (TCP). */
  beforeHandshake?: (connection: MessageStream) => void
  /** The connection the encrypter returns (what the muxer writes into), and the one it was handed. */
  afterHandshake?: (secured: SecuredConnection<any>, connection: MessageStream) => void
}

/** Wraps a connection encrypter factory so every connection it secures goes through `hooks`. */
export function adaptEncrypter<Components> (factory: (components: Components) => ConnectionEncrypter, hooks: EncrypterHooks): (components: Components) => ConnectionEncrypter {
  return (components) => {
    const encrypter = factory(components)
    const wrapped: ConnectionEncrypter = Object.create(encrypter)
    wrapped.secureInbound = async (connection, options) => {
      hooks.beforeHandshake?.(connection)
      const secured = await encrypter.secureInbound(connection, options)
      hooks.afterHandshake?.(secured, connection)
      return secured
    }
    wrapped.secureOutbound = async (connection, options) => {
      hooks.beforeHandshake?.(connection)
      const secured = await encrypter.secureOutbound(connection, options)
      hooks.afterHandshake?.(secured, connection)
      return secured
    }
    return wrapped
  }
}
