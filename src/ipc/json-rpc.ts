import { LineSplitter } from './line-splitter.ts'
import type { Socket } from 'node:net'

/**
 * The IPC wire format: newline-delimited JSON-RPC 2.0. One JSON object per
 * line; long operations send `progress` notifications before their response.
 */

/** A request from the CLI. */
export interface RpcRequest {
  jsonrpc: '2.0'
  id: number | string
  method: string
  params?: Record<string, unknown>
}

/** A success or error answer to one request. */
export interface RpcResponse {
  jsonrpc: '2.0'
  id: number | string | null
  result?: unknown
  error?: RpcErrorObject
}

/** A notification the daemon sends while a request runs. */
export interface RpcNotification {
  jsonrpc: '2.0'
  method: 'progress'
  params: { id: number | string, progress: unknown }
}

/** JSON-RPC error; `data.code` carries the PeerIT error code (e.g. `ERR_FILE_NOT_FOUND`). */
export interface RpcErrorObject {
  code: number
  message: string
  data?: { code?: string, name?: string, [key: string]: unknown }
}

/** The standard JSON-RPC 2.0 error codes, plus one for application errors. */
export const RPC_ERRORS = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  applicationError: -32000
} as const

/** A line longer than this is refused: no client of ours sends anything near it. */
export const MAX_LINE_BYTES = 1024 * 1024

/**
 * Calls `onLine` for every complete, non-blank line a socket sends. When an
 * unfinished line grows past `maxLineBytes`, `onOverflow` is called and the
 * socket is read no more.
 */
export function readLines (socket: Socket, onLine: (line: string) => void, maxLineBytes: number, onOverflow: () => void): void {
  const splitter = new LineSplitter()
  const onData = (chunk: Buffer): void => {
    for (const line of splitter.push(chunk)) {
      if (line.trim() !== '') {
        onLine(line)
      }
    }
    if (splitter.pendingBytes > maxLineBytes) {
      splitter.clear()
      socket.off('data', onData)
      onOverflow()
    }
  }
  socket.on('data', onData)
}
