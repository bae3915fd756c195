/**
 * Fewer, larger writes into TLS. yamux hands its connection each frame as a
 * list of buffers (a 12-byte header, then the payload, on a relay a list of
 * ~16 KiB pieces: the records of the layer above), and `@libp2p/tls` writes
 * every buffer of a list on its own: each becomes an `SSL_write`, a TLS
 * record and a round trip from JavaScript into OpenSSL and back out through
 * Node's JavaScript stream socket. Joining the small buffers first makes one
 * TLS write per run, with records filled to the 16 KiB TLS allows; large
 * buffers are written as they are (copying them costs more than it saves).
 * What goes on the wire is an ordinary TLS record stream carrying the same
 * bytes, so any peer reads it as before.
 */
import { AbstractMessageStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { concat } from 'uint8arrays/concat'
import { adaptEncrypter } from './adapt-encrypter.ts'
import { isSecuredOnSocket } from './socket-tls.ts'
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface'

/**
 * At most this many bytes are joined into one write: a send queue that piled
 * up behind back-pressure is written in pieces this big.
 */
export const MAX_COALESCED_BYTES = 1024 * 1024

/**
 * A buffer this big is written as it is, never copied: one TLS write of it
 * fills its records anyway, and copying it cost the sender more than the
 * write it saved (bench/transfer.ts, docs/benchmarks.md).
 */
export const LARGE_BUFFER_BYTES = 64 * 1024

/** TLS 1.3's largest record plaintext: small buffers before a large one are topped up to this from its head. */
export const TLS_RECORD_BYTES = 16 * 1024

/**
 * Makes `stream` join small buffers of each write (see {@link writeRuns})
 * before its transport sees them. Streams that are not libp2p message
 * streams of the usual kind are left as they are.
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
    // Runs are made as they are written: the transport may take only the
    // first (a full socket), and the rest goes back to the send queue as it
    // was, so nothing is copied that is not written now.
    let sentBytes = 0
    for (const run of writeRuns([...data], maxBytes)) {
      const result = sendData(new Uint8ArrayList(run))
      sentBytes += result.sentBytes
      if (!result.canSendMore || result.sentBytes < run.byteLength) {
        return { sentBytes, canSendMore: result.canSendMore }
      }
    }
    return { sentBytes, canSendMore: true }
  }
}

/**
 * The bytes of `bufs`, in order, as the writes to make: neighbouring small
 * buffers joined up to `maxBytes`; a large buffer as it is, except that the
 * small ones right before it (a yamux frame's 12-byte header) take the first
 * bytes of it to fill one TLS record, so no record carries a header alone.
 */
export function * writeRuns (bufs: Uint8Array[], maxBytes: number): Generator<Uint8Array> {
  let run: Uint8Array[] = []
  let runBytes = 0
  const join = (): Uint8Array => {
    const joined = run.length === 1 ? run[0] : concat(run, runBytes)
    run = []
    runBytes = 0
    return joined
  }
  for (let buf of bufs) {
    if (buf.byteLength >= LARGE_BUFFER_BYTES) {
      if (runBytes > 0 && runBytes < TLS_RECORD_BYTES) {
        const head = buf.subarray(0, TLS_RECORD_BYTES - runBytes)
        run.push(head)
        runBytes += head.byteLength
        buf = buf.subarray(head.byteLength)
      }
      if (runBytes > 0) {
        yield join()
      }
      yield buf
      continue
    }
    if (runBytes > 0 && runBytes + buf.byteLength > maxBytes) {
      yield join()
    }
    run.push(buf)
    runBytes += buf.byteLength
  }
  if (runBytes > 0) {
    yield join()
  }
}

/** Which of an encrypter's two connections join their writes. */
export interface CoalesceLayers {
  /** The connection it encrypts over (TCP): TLS records, noise's length prefixes and frames. */
  transport: boolean
  /**
   * The connection it returns: what yamux writes (TLS writes each buffer as a
   * record; noise already joins). Never where TLS runs on the TCP socket
   * itself (./socket-tls.ts): there a write costs no trip through a
   * JavaScript stream, and joining cost the sender and the relay more CPU
   * than it saved (docs/benchmarks.md, "TLS on the TCP socket").
   */
  secured: boolean
}

/**
 * Wraps a connection encrypter factory (`tls()`, `noise()`) so the chosen
 * layers write joined buffers (see {@link coalesceWrites}). The handshake,
 * the protocol id and the bytes on the wire do not change.
 */
export function coalescingEncrypter<Components> (factory: (components: Components) => ConnectionEncrypter, layers: CoalesceLayers): (components: Components) => ConnectionEncrypter {
  return adaptEncrypter(factory, {
    beforeHandshake: layers.transport ? connection => { coalesceWrites(connection) } : undefined,
    afterHandshake: layers.secured
      ? (secured, connection) => {
          if (!isSecuredOnSocket(connection)) {
            coalesceWrites(secured.connection)
          }
        }
      : undefined
  })
}
