import { readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { apiParams, handleApiCall, API_ROUTES } from './api.ts'
import { UiAuth } from './auth.ts'
import { UiPortInUseError } from './errors.ts'
import { hostAllowed, isSafeMethod, originAllowed, SECURITY_HEADERS } from './guards.ts'
import { HttpError, sendError } from './respond.ts'
import { EventHub } from './sse.ts'
import { StaticFiles } from './static-files.ts'
import { receiveUpload, uploadName, DEFAULT_UPLOAD_LIMITS } from './upload.ts'
import type { RpcHandler } from '../ipc/server.ts'
import type { UploadLimits } from './upload.ts'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The node events the page follows, keyed by content id where there is one. */
export const UI_EVENTS = ['peer:connected', 'peer:disconnected', 'file:discovered', 'download:progress', 'download:status'] as const

/** Init of {@link UiServer}. */
export interface UiServerInit {
  /** `web_ui_port`: 0 picks a free port, the last one used when it is still free. */
  port: number
  /** Where the token lives (`.peerit/ui-token`). */
  tokenPath: string
  /** Where the last port is remembered (`.peerit/ui-port`). */
  portPath: string
  /** Uploads land here. */
  sharedDir: string
  /** The daemon's JSON-RPC method table: the API calls these, never the node directly. */
  methods: Record<string, RpcHandler>
  /** The node, for its events. */
  events: EventTarget
  logger: ComponentLogger
  uploadLimits?: UploadLimits
}

/**
 * The web UI: an HTTP server on 127.0.0.1 serving the page, the `/api/`
 * mirror of the daemon's RPC methods and the `/api/events` stream. Every
 * request passes the Host guard; `/api/` also needs the token (or a session
 * cookie from `/login`), and a state-changing call the right Origin.
 */
export class UiServer {
  private readonly init: UiServerInit
  private readonly log: Logger
  private readonly auth: UiAuth
  private readonly hub = new EventHub()
  private readonly files = new StaticFiles()
  private readonly listeners: Array<[string, (event: any) => void]> = []
  private server?: Server
  private boundPort = 0

  constructor (init: UiServerInit) {
    this.init = init
    this.log = init.logger.forComponent('peerit:ui')
    this.auth = new UiAuth(init.tokenPath)
  }

  /** The port it listens on (0 before {@link listen}). */
  get port (): number {
    return this.boundPort
  }

  /** Loads the token and the page, binds the port, follows the node's events. */
  async listen (): Promise<void> {
    await this.auth.load()
    await this.files.load()
    const server = createServer({
      // A client gets 10 s for its headers; a body has its own limits (body.ts, upload.ts).
      headersTimeout: 10_000,
      requestTimeout: 3_600_000,
      keepAliveTimeout: 5_000
    }, (request, response) => { void this.onRequest(request, response) })
    server.maxConnections = 256
    this.server = server
    this.boundPort = await this.bind(server)
    this.auth.cookieName = `peerit_${this.boundPort}`
    await writeFile(this.init.portPath, `${this.boundPort}\n`, { mode: 0o600 }).catch(() => {})
    for (const name of UI_EVENTS) {
      const listener = (event: Event): void => {
        const detail = (event as CustomEvent).detail
        this.hub.publish(name, detail, detail?.contentId)
      }
      this.init.events.addEventListener(name, listener)
      this.listeners.push([name, listener])
    }
    this.log('web UI on http://127.0.0.1:%d/', this.boundPort)
  }

  /** The URL that logs a browser in, token included. */
  loginUrl (): string {
    return `http://127.0.0.1:${this.boundPort}/login?token=${this.auth.current()}`
  }

  /** The current token. */
  token (): string {
    return this.auth.current()
  }

  /** A new token: the old one and every browser session get 401 from now on. */
  async rotateToken (): Promise<void> {
    await this.auth.rotate()
  }

  /** Ends the event streams and stops listening. */
  async close (): Promise<void> {
    for (const [name, listener] of this.listeners) {
      this.init.events.removeEventListener(name, listener)
    }
    this.hub.close()
    const server = this.server
    if (server == null) {
      return
    }
    await new Promise<void>((resolve) => {
      server.close(() => { resolve() })
      server.closeAllConnections()
    })
  }

  private async bind (server: Server): Promise<number> {
    const tryPort = async (port: number): Promise<number> => new Promise((resolve, reject) => {
      server.once('error', reject)
      // 127.0.0.1 only, whatever listening_ip the node uses: the UI is for this machine's user.
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
    if (this.init.port !== 0) {
      return tryPort(this.init.port).catch((err) => {
        throw err.code === 'EADDRINUSE' ? new UiPortInUseError(this.init.port) : err
      })
    }
    const remembered = Number((await readFile(this.init.portPath, 'utf8').catch(() => '')).trim())
    if (Number.isInteger(remembered) && remembered > 0 && remembered < 65536) {
      try {
        return await tryPort(remembered)
      } catch (err: any) {
        if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') {
          throw err
        }
      }
    }
    return tryPort(0)
  }

  private async onRequest (request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.route(request, response)
    } catch (err: any) {
      if (err instanceof HttpError) {
        // A refused body is not read further: the connection closes after the answer.
        response.shouldKeepAlive = false
        sendError(response, err.status, err.code, err.message)
        return
      }
      this.log.error('web UI request failed: %e', err)
      sendError(response, 500, 'ERR_INTERNAL', 'internal error: see the daemon log')
    }
  }

  private async route (request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!hostAllowed(request, this.boundPort)) {
      // DNS rebinding: a foreign name now pointing at 127.0.0.1 must not reach the UI.
      sendError(response, 421, 'ERR_BAD_HOST', `open the UI as http://127.0.0.1:${this.boundPort}/`)
      return
    }
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${this.boundPort}`)
    const path = url.pathname
    if (path === '/login') {
      this.login(request, response, url)
      return
    }
    if (path.startsWith('/api/')) {
      await this.api(path.slice('/api/'.length), request, response, url)
      return
    }
    if (!isSafeMethod(request.method)) {
      sendError(response, 405, 'ERR_METHOD_NOT_ALLOWED', 'the page is read with GET')
      return
    }
    if (!this.files.serve(path, response, request.method === 'HEAD')) {
      sendError(response, 404, 'ERR_NOT_FOUND', `no page at ${path}`)
    }
  }

  /** `/login?token=…`: opens a session and sends the browser on to a URL without the token. */
  private login (request: IncomingMessage, response: ServerResponse, url: URL): void {
    if (!isSafeMethod(request.method) || !this.auth.isToken(url.searchParams.get('token'))) {
      sendError(response, 401, 'ERR_UNAUTHORIZED', 'this login link is wrong or old: run `peerit ui` for a fresh one')
      return
    }
    response.writeHead(303, {
      ...SECURITY_HEADERS,
      'Set-Cookie': this.auth.sessionCookie(this.auth.openSession()),
      Location: '/',
      'Cache-Control': 'no-store',
      'Content-Length': 0
    })
    response.end()
  }

  private async api (name: string, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const auth = this.auth.authenticate(request)
    if (auth == null) {
      sendError(response, 401, 'ERR_UNAUTHORIZED', 'log in with the link `peerit ui` prints, or send Authorization: Bearer <token>')
      return
    }
    const safe = isSafeMethod(request.method)
    if (!safe && !originAllowed(request, this.boundPort, auth)) {
      sendError(response, 403, 'ERR_CROSS_SITE', 'a state-changing request must come from the UI\'s own page')
      return
    }
    if (name === 'events') {
      if (request.method !== 'GET') {
        sendError(response, 405, 'ERR_METHOD_NOT_ALLOWED', '/api/events is read with GET')
        return
      }
      this.hub.accept(request, response)
      return
    }
    if (name === 'upload') {
      await this.upload(request, response, url)
      return
    }
    const route = Object.hasOwn(API_ROUTES, name) ? API_ROUTES[name] : undefined
    if (route == null) {
      sendError(response, 404, 'ERR_NOT_FOUND', `no API method ${name}: see docs/api.md`)
      return
    }
    if (request.method !== 'POST' && !(route.read && request.method === 'GET')) {
      sendError(response, 405, 'ERR_METHOD_NOT_ALLOWED', route.read ? `use GET or POST for /api/${name}` : `use POST for /api/${name}`)
      return
    }
    await handleApiCall(route, this.init.methods, await apiParams(route, request, url), response)
  }

  /** `POST /api/upload?name=…`: the body is the file; it lands in shared_dir and is shared through the `share` method. */
  private async upload (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.method !== 'POST') {
      sendError(response, 405, 'ERR_METHOD_NOT_ALLOWED', 'upload a file with POST')
      return
    }
    const name = uploadName(url.searchParams.get('name'))
    const path = await receiveUpload(request, this.init.sharedDir, name, this.init.uploadLimits ?? DEFAULT_UPLOAD_LIMITS)
    await handleApiCall(API_ROUTES.share, this.init.methods, { path }, response)
  }
}
