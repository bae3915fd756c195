import { chmod, mkdir, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import { MAX_LINE_BYTES, readLines, RPC_ERRORS } from './json-rpc.ts'
import { shortSocketDir } from './socket-path.ts'
import type { RpcErrorObject, RpcRequest, RpcResponse } from './json-rpc.ts'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { Server, Socket } from 'node:net'

/** What a method handler gets besides its params. */
export interface RpcContext {
  /** Aborted when the client hangs up or the server closes. */
  signal: AbortSignal
  /** Sends a `progress` notification for this request. */
  progress: (progress: unknown) => void
}

/** One JSON-RPC method. Throwing an error with a `code` string sends it as `error.data.code`. */
export type RpcHandler = (params: Record<string, unknown>, context: RpcContext) => Promise<unknown>

/** Init for {@link IpcServer}. */
export interface IpcServerInit {
  socketPath: string
  methods: Record<string, RpcHandler>
  logger: ComponentLogger
}

/**
 * The daemon's side of the IPC socket: newline-delimited JSON-RPC 2.0 on a
 * Unix socket only its owner can open (0600, in a 0700 folder).
 */
export class IpcServer {
  private readonly init: IpcServerInit
  private readonly log: Logger
  private readonly sockets = new Set<Socket>()
  private readonly closing = new AbortController()
  private server?: Server

  constructor (init: IpcServerInit) {
    this.init = init
    this.log = init.logger.forComponent('peerit:ipc')
  }

  /** Binds the socket; the caller has made sure no live daemon owns it. */
  async listen (): Promise<void> {
    const { socketPath } = this.init
    if (dirname(socketPath) === shortSocketDir()) {
      await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 })
      await chmod(dirname(socketPath), 0o700)
    }
    await rm(socketPath, { force: true })
    const server = createServer((socket) => { this.onConnection(socket) })
    this.server = server
    // bind() happens synchronously inside listen(): a umask of 0177 makes the
    // socket 0600 from its first instant, not just after the chmod below.
    const umask = process.umask(0o177)
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(socketPath, () => {
          server.off('error', reject)
          resolve()
        })
      })
    } finally {
      process.umask(umask)
    }
    await chmod(socketPath, 0o600)
  }

  /** Stops accepting, aborts running requests, closes every connection. */
  async close (): Promise<void> {
    this.closing.abort()
    for (const socket of this.sockets) {
      socket.destroy()
    }
    await new Promise<void>((resolve) => {
      if (this.server == null) {
        resolve()
        return
      }
      this.server.close(() => { resolve() })
    })
    await rm(this.init.socketPath, { force: true })
  }

  private onConnection (socket: Socket): void {
    this.sockets.add(socket)
    const hangUp = new AbortController()
    const signal = AbortSignal.any([hangUp.signal, this.closing.signal])
    readLines(socket, (line) => { void this.onLine(socket, line, signal) }, MAX_LINE_BYTES, () => {
      this.send(socket, { jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.invalidRequest, message: 'request line too long' } })
      // A client that sent that is broken or hostile: it is read no more and hung up on.
      socket.end(() => { socket.destroy() })
    })
    socket.on('error', (err) => { this.log('ipc client error - %e', err) })
    socket.on('close', () => {
      this.sockets.delete(socket)
      hangUp.abort()
    })
  }

  private async onLine (socket: Socket, line: string, signal: AbortSignal): Promise<void> {
    let request: RpcRequest
    try {
      request = JSON.parse(line)
    } catch {
      this.send(socket, { jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.parseError, message: 'parse error: each line must be one JSON-RPC 2.0 request' } })
      return
    }
    if (!isRequest(request)) {
      this.send(socket, { jsonrpc: '2.0', id: idOf(request), error: { code: RPC_ERRORS.invalidRequest, message: 'invalid request: expected {"jsonrpc":"2.0","id","method","params"?}' } })
      return
    }
    const handler = Object.hasOwn(this.init.methods, request.method) ? this.init.methods[request.method] : undefined
    if (handler == null) {
      this.send(socket, { jsonrpc: '2.0', id: request.id, error: { code: RPC_ERRORS.methodNotFound, message: `unknown method ${request.method}` } })
      return
    }
    const progress = (value: unknown): void => {
      this.send(socket, { jsonrpc: '2.0', method: 'progress', params: { id: request.id, progress: value } })
    }
    try {
      const result = await handler(request.params ?? {}, { signal, progress })
      this.send(socket, { jsonrpc: '2.0', id: request.id, result: result ?? null })
    } catch (err: any) {
      this.log('%s failed: %s', request.method, messageOf(err))
      this.send(socket, { jsonrpc: '2.0', id: request.id, error: toRpcError(err) })
    }
  }

  private send (socket: Socket, message: RpcResponse | { jsonrpc: '2.0', method: string, params: unknown }): void {
    if (socket.destroyed || !socket.writable) {
      return
    }
    let line: string
    try {
      line = JSON.stringify(message)
    } catch (err) {
      // JSON.stringify recurses and refuses BigInt: a value nested thousands deep must not cost the answer
      this.log('cannot serialise a message: %s', messageOf(err))
      if (!('id' in message)) {
        return
      }
      line = JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: RPC_ERRORS.internalError, message: 'the answer could not be serialised' } })
    }
    socket.write(line + '\n')
  }
}

function isRequest (value: any): value is RpcRequest {
  return value != null && typeof value === 'object' && !Array.isArray(value) &&
    value.jsonrpc === '2.0' && typeof value.method === 'string' &&
    (typeof value.id === 'number' || typeof value.id === 'string') &&
    (value.params === undefined || (typeof value.params === 'object' && value.params !== null && !Array.isArray(value.params)))
}

function idOf (value: any): number | string | null {
  const id = value?.id
  return typeof id === 'number' || typeof id === 'string' ? id : null
}

/** A thrown value's text, whatever was thrown (undefined, null, an object whose toString is not a function…). */
function messageOf (err: any): string {
  if (typeof err?.message === 'string') {
    return err.message
  }
  try {
    return String(err)
  } catch {
    return 'unknown error'
  }
}

function toRpcError (err: any): RpcErrorObject {
  const code = typeof err?.code === 'string' ? err.code : undefined
  const data: NonNullable<RpcErrorObject['data']> = { code, name: err?.name }
  if (Array.isArray(err?.candidates)) {
    data.candidates = err.candidates
  }
  return {
    code: code === 'ERR_INVALID_PARAMS' ? RPC_ERRORS.invalidParams : code == null ? RPC_ERRORS.internalError : RPC_ERRORS.applicationError,
    message: messageOf(err),
    data
  }
}
