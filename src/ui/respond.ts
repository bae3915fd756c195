import { SECURITY_HEADERS } from './guards.ts'
import type { ServerResponse } from 'node:http'

/** Sends a JSON answer (never cached: it holds the node's state). */
export function sendJson (response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value)
  if (response.headersSent) {
    response.destroy()
    return
  }
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers
  })
  response.end(body)
}

/** Sends `{ error: { code, message } }`, the shape of the CLI's `--json` errors. */
export function sendError (response: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(response, status, { error: { code, message, ...extra } }, status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {})
}

/** An HTTP refusal with a status and a stable code, thrown by the body readers and turned into {@link sendError}. */
export class HttpError extends Error {
  readonly status: number
  readonly code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.name = 'UiHttpError'
    this.status = status
    this.code = code
  }
}
