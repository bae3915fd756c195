import { connect } from 'node:net'
import { NotRunningError, PeeritError } from '../errors.ts'
import { readLines } from './json-rpc.ts'
import type { RpcErrorObject, RpcNotification, RpcResponse } from './json-rpc.ts'
import type { Socket } from 'node:net'

/** How long a request may go without an answer or a progress notification. */
export const DEFAULT_RPC_TIMEOUT_MS = 15_000

/** A JSON-RPC error answered by the daemon; `code` is the PeerIT error code when there is one. */
export class RpcError extends PeeritError {
  readonly data: RpcErrorObject['data']
  constructor (error: RpcErrorObject) {
    super(error.data?.name ?? 'RpcError', error.data?.code ?? 'ERR_RPC', error.message)
    this.data = error.data
  }
}

/** The daemon did not answer in time. */
export class RpcTimeoutError extends PeeritError {
  static readonly code = 'ERR_RPC_TIMEOUT'
  constructor (method: string, timeoutMs: number) {
    super('RpcTimeoutError', RpcTimeoutError.code, `the daemon did not answer ${method} within ${Math.round(timeoutMs / 1000)} s: see .peerit/peerit.log, or restart it with \`peerit stop\` then \`peerit start\``)
  }
}

/** Options of {@link IpcClient.call}. */
export interface CallOptions {
  /** Idle timeout: reset by every progress notification. */
  timeoutMs?: number
  onProgress?: (progress: any) => void
}

interface Pending {
  resolve: (value: any) => void
  reject: (err: Error) => void
  options: CallOptions
  timer?: ReturnType<typeof setTimeout>
  method: string
}

/**
 * The CLI's side of the IPC socket. One connection, any number of requests;
 * every request has an idle timeout so no command ever hangs.
 */
export class IpcClient {
  private readonly socket: Socket
  private readonly pending = new Map<number, Pending>()
  private nextId = 1

  private constructor (socket: Socket) {
    this.socket = socket
    // The daemon is trusted, and a big answer (`list files` of a large store) is one long line.
    readLines(socket, (line) => { this.onLine(line) }, Number.POSITIVE_INFINITY, () => {})
    socket.on('close', () => {
      for (const [id, pending] of this.pending) {
        clearTimeout(pending.timer)
        this.pending.delete(id)
        pending.reject(new NotRunningError('the daemon closed the connection (did it stop?): see .peerit/peerit.log, then `peerit start`'))
      }
    })
    socket.on('error', () => {})
  }

  /** Connects to a daemon's socket; {@link NotRunningError} when nothing listens there. */
  static async connect (socketPath: string, timeoutMs = 3000): Promise<IpcClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath)
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new NotRunningError('the daemon does not answer on its socket: restart it with `peerit stop` then `peerit start`'))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve(new IpcClient(socket))
      })
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? new NotRunningError()
          : new PeeritError('IpcError', 'ERR_IPC', `cannot open the daemon socket ${socketPath}: ${err.message}`))
      })
    })
  }

  /** Calls a method and waits for its result. */
  async call<T = unknown> (method: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { resolve, reject, options, method }
      this.pending.set(id, pending)
      this.arm(id, pending)
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n')
    })
  }

  /** Closes the connection; the daemon aborts whatever this client still had running. */
  close (): void {
    this.socket.end()
    this.socket.destroy()
  }

  private arm (id: number, pending: Pending): void {
    clearTimeout(pending.timer)
    const timeoutMs = pending.options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS
    pending.timer = setTimeout(() => {
      this.pending.delete(id)
      pending.reject(new RpcTimeoutError(pending.method, timeoutMs))
    }, timeoutMs)
  }

  private onLine (line: string): void {
    let message: RpcResponse | RpcNotification
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    if (message == null || typeof message !== 'object') {
      return
    }
    if ('method' in message && message.method === 'progress') {
      const id = Number(message.params?.id)
      const pending = this.pending.get(id)
      if (pending != null) {
        this.arm(id, pending)
        pending.options.onProgress?.(message.params.progress)
      }
      return
    }
    const response = message as RpcResponse
    const pending = this.pending.get(Number(response.id))
    if (pending == null) {
      return
    }
    clearTimeout(pending.timer)
    this.pending.delete(Number(response.id))
    if (response.error != null) {
      pending.reject(new RpcError(response.error))
    } else {
      pending.resolve(response.result)
    }
  }
}
