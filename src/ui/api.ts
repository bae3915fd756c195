import { discoveredJson, downloadJson, peersJson, sharedJson, shareJson, syncJson } from '../daemon/json-views.ts'
import { readJsonBody } from './body.ts'
import { HttpError, sendError, sendJson } from './respond.ts'
import type { RpcHandler } from '../ipc/server.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'

type QueryKind = 'string' | 'integer'

/** One `/api/<name>` endpoint: a daemon JSON-RPC method, seen as the CLI's `--json` sees it. */
export interface ApiRoute {
  /** The JSON-RPC method of the daemon's method table it calls. */
  rpc: string
  /** Whether `GET` may call it (it changes nothing); every route takes `POST` with a JSON body. */
  read: boolean
  /** The parameters a `GET` may give in its query string, and their kinds. */
  query?: Record<string, QueryKind>
  /** Turns the RPC answer into what the CLI prints with `--json`, when that is not the answer itself. */
  view?: (result: any) => unknown
}

/** The HTTP API: each name is `/api/<name>` (docs/api.md). */
export const API_ROUTES: Record<string, ApiRoute> = {
  status: { rpc: 'status', read: true },
  peers: { rpc: 'peers', read: true, view: peersJson },
  connect: { rpc: 'connect', read: false },
  disconnect: { rpc: 'disconnect', read: false },
  shared: { rpc: 'sharedFiles', read: true, view: sharedJson },
  share: { rpc: 'share', read: false, view: shareJson },
  sync: { rpc: 'sync', read: false, view: syncJson },
  fetch: { rpc: 'fetch', read: false },
  search: { rpc: 'search', read: true, query: { text: 'string', type: 'string', limit: 'integer' }, view: discoveredJson },
  files: { rpc: 'files', read: true, query: { limit: 'integer', offset: 'integer' }, view: discoveredJson },
  download: { rpc: 'download', read: false, view: downloadJson },
  downloads: { rpc: 'downloads', read: true },
  pause: { rpc: 'pause', read: false },
  resume: { rpc: 'resume', read: false },
  cancel: { rpc: 'cancel', read: false },
  limits: { rpc: 'limits', read: true }
}

const NOT_FOUND = /NOT_FOUND|UNKNOWN_PEER/
const CONFLICT = /AMBIGUOUS/

/** A call's parameters: the query string of a GET, the JSON body of a POST. */
export async function apiParams (route: ApiRoute, request: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  return request.method === 'POST' ? readJsonBody(request) : queryParams(url, route)
}

/**
 * Answers one API call: calls the daemon's own RPC handler and sends the
 * CLI's `--json` shape. Errors come back as `{ error: { code, message,
 * candidates? } }`, the CLI's `--json` error shape.
 */
export async function handleApiCall (route: ApiRoute, methods: Record<string, RpcHandler>, params: Record<string, unknown>, response: ServerResponse): Promise<void> {
  const handler = Object.hasOwn(methods, route.rpc) ? methods[route.rpc] : undefined
  if (handler == null) {
    sendError(response, 501, 'ERR_NOT_IMPLEMENTED', `this daemon has no ${route.rpc} method`)
    return
  }
  // A browser that goes away (a closed tab) ends what it started, as a CLI's Ctrl-C does.
  const gone = new AbortController()
  response.on('close', () => { gone.abort() })
  let result: unknown
  try {
    result = await handler(params, { signal: gone.signal, progress: () => {} })
  } catch (err: any) {
    const code = typeof err?.code === 'string' ? err.code : 'ERR_INTERNAL'
    const extra = Array.isArray(err?.candidates) ? { candidates: err.candidates } : {}
    sendError(response, statusFor(code), code, typeof err?.message === 'string' ? err.message : String(err), extra)
    return
  }
  sendJson(response, 200, route.view == null ? (result ?? null) : route.view(result))
}

function statusFor (code: string): number {
  if (code === 'ERR_INVALID_PARAMS' || code === 'ERR_INVALID_PEER_URL' || code === 'ERR_INVALID_TYPE') {
    return 400
  }
  if (NOT_FOUND.test(code)) {
    return 404
  }
  if (CONFLICT.test(code)) {
    return 409
  }
  return code === 'ERR_INTERNAL' ? 500 : 422
}

function queryParams (url: URL, route: ApiRoute): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const [key, value] of url.searchParams) {
    const kind = route.query?.[key]
    if (kind == null) {
      throw new HttpError(400, 'ERR_INVALID_PARAMS', `unknown query parameter ${key}${route.read ? '' : ': POST a JSON body'}`)
    }
    if (kind === 'integer') {
      if (!/^\d{1,15}$/.test(value)) {
        throw new HttpError(400, 'ERR_INVALID_PARAMS', `${key} must be a whole number`)
      }
      params[key] = Number(value)
    } else {
      params[key] = value
    }
  }
  return params
}
