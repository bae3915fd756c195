/**
 * Fewer, larger writes under a libp2p connection. yamux hands its connection
 * each frame as a list of buffers (a 12-byte header, then the payload, often
 * itself a list of 16 KiB pieces), and libp2p's TCP and TLS connections write
 * every buffer of a list on its own: under TLS each becomes a TLS record of
 * its own, a round trip from JavaScript into OpenSSL and back out through
 * Node's JavaScript stream socket, and on TCP a socket write. Joining the
 * list first makes one TLS write (records filled to the 16 KiB the spec
 * allows) and one socket write per frame; what goes on the wire is the same
 * byte sequence, so any peer reads it as before.
 */
import { AbstractMessageStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import type { ConnectionEncrypter, MessageStream, SecureConnectionOptions, SecuredConnection } from '@libp2p/interface'

/**
 * At most this many bytes are joined into one write: a send queue that piled
 * up behind back-pressure is written in pieces this big, so the copy stays
 * small next to what it saves (a copy of 1 MiB is ~0.1 ms here).
 */
export const MAX_COALESCED_BYTES = 1024 * 1024

/**
 * Makes `stream` join the buffers of each write into runs of up to
 * `maxBytes` before its transport sees them. Streams that are not libp2p
 * message streams of the usual kind are left as they are.
 */
export function coalesceWrites (stream: MessageStream, maxBytes = MAX_COALESCED_BYTES): void {
  if (!(stream instanceof AbstractMessageStream)) {
    return
  }
  const sendData = stream.sendData.bind(stream)
  stream.sendData = (data: Uint8ArrayList) => {
    if (data.length <= 1) {
      return sendData(data)
    }
    // Join one run at a time: the transport may take only the first (a full
    // socket), and the rest goes back to the send queue unjoined, so nothing
    // is copied that is not written now.
    const bufs = [...data]
    let sentBytes = 0
    for (let first = 0; first < bufs.length;) {
      const last = runEnd(bufs, first, maxBytes)
      const run = last - first === 1 ? bufs[first] : new Uint8ArrayList(...bufs.slice(first, last)).subarray()
      const result = sendData(new Uint8ArrayList(run))
      sentBytes += result.sentBytes
      first = last
      if (!result.canSendMore || result.sentBytes < run.byteLength) {
        return { sentBytes, canSendMore: result.canSendMore }
      }
    }
    return { sentBytes, canSendMore: true }
  }
}

/** The index after the last of `bufs` from `first` on that fit in `maxBytes` together (at least one). */
export function runEnd (bufs: Uint8Array[], first: number, maxBytes: number): number {
  let bytes = bufs[first].byteLength
  let last = first + 1
  while (last < bufs.length && bytes + bufs[last].byteLength <= maxBytes) {
    bytes += bufs[last].byteLength
    last++
  }
  return last
}

/** Which of an encrypter's two connections join their writes. */
export interface CoalesceLayers {
  /** The connection it encrypts over (TCP): TLS records, noise's length prefixes and frames. */
  transport: boolean
  /** The connection it returns: what yamux writes (TLS writes each buffer as a record; noise already joins). */
  secured: boolean
}

/**
 * Wraps a connection encrypter factory (`tls()`, `noise()`) so the chosen
 * layers write joined buffers (see {@link coalesceWrites}). The handshake,
 * the protocol id and the bytes on the wire do not change.
 */
export function coalescingEncrypter<Components> (factory: (components: Components) => ConnectionEncrypter, layers: CoalesceLayers): (components: Components) => ConnectionEncrypter {
  return (components) => {
    const encrypter = factory(components)
    const secure = async (inbound: boolean, connection: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection> => {
      if (layers.transport) {
        coalesceWrites(connection)
      }
      const secured = inbound ? await encrypter.secureInbound(connection, options) : await encrypter.secureOutbound(connection, options)
      if (layers.secured) {
        coalesceWrites(secured.connection)
      }
      return secured
    }
    // The encrypter itself stays the object libp2p sees (its protocol, capabilities and tag): only the two calls are wrapped.
    return Object.assign(Object.create(encrypter) as ConnectionEncrypter, {
      secureInbound: async (connection: MessageStream, options?: SecureConnectionOptions) => secure(true, connection, options),
      secureOutbound: async (connection: MessageStream, options?: SecureConnectionOptions) => secure(false, connection, options)
    })
  }
}
