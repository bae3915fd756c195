/**
 * libp2p TLS 1.3 (`/tls/1.0.0`, the libp2p TLS spec) run by OpenSSL directly
 * on a TCP connection's `net.Socket`. `@libp2p/tls` runs Node's TLS over a
 * JavaScript Duplex around the connection, so every record crosses from
 * native code into JavaScript and back once more each way than on an
 * ordinary `tls.connect({ socket })`; on a receiver that bridge and the
 * garbage it makes cost more CPU than AES and SHA-256 together
 * (docs/benchmarks.md "File transfer"). Here, when the connection under the
 * encrypter is `@libp2p/tcp`'s (it keeps its socket in a public `socket`
 * field), Node's TLS takes over the socket's native handle and reads and
 * writes the file descriptor itself. Anything else (a relayed stream, a
 * protected connection, another transport) goes to `@libp2p/tls` as before.
 * The certificate, its checks and the ALPN muxer negotiation are
 * `@libp2p/tls`'s own (its `utils` export), so both ends speak the same
 * bytes whichever path either of them takes.
 */
import { Socket } from 'node:net'
import { TLSSocket, connect } from 'node:tls'
import { ConnectionClosedError, InvalidCryptoExchangeError, TimeoutError, serviceCapabilities } from '@libp2p/interface'
import { PROTOCOL, tls } from '@libp2p/tls'
import { generateCertificate, toMessageStream, verifyPeerCertificate } from '@libp2p/tls/utils'
import { AbstractMessageStream } from '@libp2p/utils'
import type { AbortOptions, ConnectionEncrypter, Logger, MessageStream, SecuredConnection, SecureConnectionOptions, StreamMuxerFactory } from '@libp2p/interface'
import type { TLSComponents } from '@libp2p/tls'
import type { ConnectionOptions } from 'node:tls'
import type { Uint8ArrayList } from 'uint8arraylist'

/** The parts of `@libp2p/tcp`'s connection this module takes over (`readBuffer` and the send calls are protected there). */
interface TcpConnection extends MessageStream {
  socket: Socket
  readBuffer: Uint8ArrayList
  sendClose: (options?: AbortOptions) => Promise<void>
  sendReset: (err: Error) => void
}

/** Connections secured on their socket, so tests and logs can tell which path a connection took. */
const securedOnSocket = new WeakSet<MessageStream>()

/** Whether `connection` (a transport connection, libp2p's `maConn`) was secured by TLS directly on its socket. */
export function isSecuredOnSocket (connection: MessageStream): boolean {
  return securedOnSocket.has(connection)
}

/** `connection` as a TCP connection whose open socket TLS can take over, or undefined. */
function tcpConnection (connection: MessageStream): TcpConnection | undefined {
  const socket = (connection as Partial<TcpConnection>).socket
  if (!(connection instanceof AbstractMessageStream) || !(socket instanceof Socket) || socket instanceof TLSSocket) {
    return undefined
  }
  // a closing or half-closed socket is left to the fallback, which fails it the usual way
  return socket.readyState === 'open' && !socket.destroyed ? connection as unknown as TcpConnection : undefined
}

/** The libp2p TLS encrypter that runs on the socket when it can (see the module comment). */
class SocketTLS implements ConnectionEncrypter {
  readonly protocol = PROTOCOL
  readonly [Symbol.toStringTag] = '@peerit/socket-tls'
  readonly [serviceCapabilities] = ['@libp2p/connection-encryption']
  private readonly components: TLSComponents
  private readonly fallback: ConnectionEncrypter
  private readonly log: Logger

  constructor (components: TLSComponents) {
    this.components = components
    this.fallback = tls()(components)
    this.log = components.logger.forComponent('peerit:socket-tls')
  }

  async secureInbound (connection: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection> {
    const tcp = tcpConnection(connection)
    return tcp == null ? this.fallback.secureInbound(connection, options) : this.secure(tcp, true, options)
  }

  async secureOutbound (connection: MessageStream, options?: SecureConnectionOptions): Promise<SecuredConnection> {
    const tcp = tcpConnection(connection)
    return tcp == null ? this.fallback.secureOutbound(connection, options) : this.secure(tcp, false, options)
  }

  /** The handshake on the connection's own socket; the checks after it are `@libp2p/tls`'s. */
  private async secure (connection: TcpConnection, isServer: boolean, options?: SecureConnectionOptions): Promise<SecuredConnection> {
    const log = connection.log?.newScope('socket-tls') ?? this.log
    const muxers = this.components.upgrader.getStreamMuxers()
    const offered = options?.skipStreamMuxerNegotiation === true ? [] : [...muxers.keys()]
    let streamMuxer: StreamMuxerFactory | undefined
    const tlsOptions: ConnectionOptions = {
      ...await generateCertificate(this.components.privateKey, options),
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // the certificate is self-signed: verifyPeerCertificate checks it and the peer id
      rejectUnauthorized: false,
      // early muxer negotiation; 'libp2p' says "none, use multistream-select"
      ALPNProtocols: [...offered, 'libp2p'],
      ALPNCallback: ({ protocols }) => {
        let chosen: string | undefined
        for (const protocol of protocols) {
          if (protocol === 'libp2p') {
            chosen = 'libp2p'
          }
          streamMuxer = muxers.get(protocol)
          if (streamMuxer != null) {
            return protocol
          }
        }
        return chosen
      }
    }
    const socket = takeOverSocket(connection, tlsOptions, isServer)

    return new Promise<SecuredConnection>((resolve, reject) => {
      let settled = false
      // stays on the socket after a failure too: a late error from a destroyed socket reaches a listener
      const fail = (err: Error): void => {
        if (settled) {
          return
        }
        settled = true
        log.error('securing the %s connection failed - %e', connection.direction, err)
        stopWaiting()
        socket.destroy()
        connection.abort(err)
        reject(err)
      }
      const onAbort = (): void => { fail(new TimeoutError('The TLS handshake timed out')) }
      const onClose = (): void => { fail(new ConnectionClosedError('The connection closed during the TLS handshake')) }
      const onSecure = (): void => {
        verifyPeerCertificate(socket.getPeerCertificate().raw, options?.remotePeer, log)
          .then(remotePeer => {
            const alpn = socket.alpnProtocol
            if (!isServer && typeof alpn === 'string' && alpn !== 'libp2p' && options?.skipStreamMuxerNegotiation !== true) {
              streamMuxer = muxers.get(alpn)
              if (streamMuxer == null) {
                throw new InvalidCryptoExchangeError(`Selected muxer ${alpn} did not exist`)
              }
            }
            if (settled) {
              return
            }
            settled = true
            stopWaiting()
            // the secured connection adds its own 'error' listener before ours goes
            const secured = toMessageStream(connection, socket)
            socket.off('error', fail)
            closeThroughTls(connection, socket)
            securedOnSocket.add(connection)
            log('remote certificate ok, remote peer %p, TLS on the socket', remotePeer)
            resolve({ remotePeer, connection: secured, streamMuxer })
          })
          .catch(fail)
      }
      const stopWaiting = (): void => {
        options?.signal?.removeEventListener('abort', onAbort)
        socket.off('secure', onSecure)
        socket.off('close', onClose)
      }
      socket.on('error', fail)
      socket.once('secure', onSecure)
      socket.once('close', onClose)
      if (options?.signal?.aborted === true) {
        onAbort()
        return
      }
      options?.signal?.addEventListener('abort', onAbort)
    })
  }
}

/**
 * Starts TLS on the connection's socket. The connection's own 'data'
 * listener goes first (it would be handed the ciphertext again), and the
 * bytes it already read but nobody consumed (multistream-select can leave
 * the peer's first TLS record there) go back in front of the socket's
 * buffer, from where Node's TLS reads them before anything new. The
 * socket's inactivity timeout moves to the TLS socket: left on the TCP
 * socket it never fired once TLS had its handle, and an idle connection
 * stayed open for good (test/transport/socket-tls.test.ts).
 */
function takeOverSocket (connection: TcpConnection, options: ConnectionOptions, isServer: boolean): TLSSocket {
  const raw = connection.socket
  raw.removeAllListeners('data')
  // paused, an unshifted chunk waits in the buffer; flowing, it would be emitted to no listener and lost
  raw.pause()
  const early = connection.readBuffer
  if (early.byteLength > 0) {
    const bytes = early.subarray()
    early.consume(early.byteLength)
    raw.unshift(bytes)
  }
  const socket = isServer
    ? new TLSSocket(raw, { ...options, isServer: true, requestCert: true })
    : connect({ ...options, socket: raw })
  const inactivityMs = raw.timeout ?? 0
  if (inactivityMs > 0) {
    raw.setTimeout(0)
    socket.setTimeout(inactivityMs)
    // the connection's own 'timeout' listener on the TCP socket aborts it, as before
    socket.once('timeout', () => raw.emit('timeout'))
  }
  return socket
}

/**
 * libp2p closes a connection by closing the transport connection under the
 * encrypted one (`Connection.close` closes the muxer, then the maConn), and
 * the TCP connection would end its socket under TLS's feet: what TLS still
 * held would be lost, with no close_notify. So its graceful close ends TLS
 * instead (the rest is sent, then close_notify, then the TCP FIN) and waits
 * for the peer to end its side too, or for `options.signal` (libp2p's close
 * timeout): closing while the peer's last bytes are unread would make the
 * kernel answer them with a reset. A reset (`abort`) destroys TLS first and
 * then resets the TCP socket: closing the socket's handle while TLS still
 * used it (its session tickets in flight right after the handshake, when
 * the connection gater refuses a peer) crashed Node 24 with a segfault.
 */
function closeThroughTls (connection: TcpConnection, socket: TLSSocket): void {
  const raw = connection.socket
  const sendReset = connection.sendReset.bind(connection)
  connection.sendReset = (err: Error) => {
    socket.destroy()
    sendReset(err)
  }
  connection.sendClose = async (options?: AbortOptions) => {
    if (raw.destroyed) {
      return
    }
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        socket.destroy()
        raw.destroy()
      }
      raw.once('close', () => {
        options?.signal?.removeEventListener('abort', onAbort)
        resolve()
      })
      if (options?.signal?.aborted === true) {
        onAbort()
        return
      }
      options?.signal?.addEventListener('abort', onAbort, { once: true })
      if (socket.destroyed) {
        // TLS is gone already (a reset, an error): nothing is left to send through it
        raw.destroy()
      } else if (!socket.writableEnded) {
        socket.end()
      }
    })
  }
}

/**
 * PeerIT's TLS encrypter: `@libp2p/tls` on the wire, run on the TCP socket
 * when the connection is a direct TCP one, `@libp2p/tls` itself otherwise.
 */
export function socketTls (): (components: TLSComponents) => ConnectionEncrypter {
  return (components) => new SocketTLS(components)
}
