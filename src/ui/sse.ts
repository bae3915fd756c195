import { SECURITY_HEADERS } from './guards.ts'
import { sendError } from './respond.ts'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** Browsers open one stream per tab; more than this at once is a runaway script, refused with 503. */
export const MAX_SSE_CLIENTS = 32
/** A comment line this often keeps proxies and idle timers from closing a quiet stream. */
const HEARTBEAT_MS = 25_000
/** Progress of one download is sent at most this often: the page redraws no faster, and the daemon's CPU stays flat. */
export const PROGRESS_FLUSH_MS = 250
/** A client this far behind (bytes not yet taken by its socket) is dropped rather than buffered for. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/** Events whose latest value per key replaces the earlier ones until the next flush. */
const COALESCED = new Set(['download:progress'])

/**
 * The `/api/events` stream: Server-Sent Events fanned out to at most
 * {@link MAX_SSE_CLIENTS} browsers. Download progress is coalesced per
 * content id; everything else is sent as it happens.
 */
export class EventHub {
  private readonly clients = new Set<ServerResponse>()
  private readonly pending = new Map<string, { event: string, data: unknown }>()
  private flushTimer?: NodeJS.Timeout
  private heartbeat?: NodeJS.Timeout

  /** Number of open streams. */
  get size (): number {
    return this.clients.size
  }

  /** Takes a request for the stream, or refuses it with 503 when full. */
  accept (request: IncomingMessage, response: ServerResponse): void {
    if (this.clients.size >= MAX_SSE_CLIENTS) {
      sendError(response, 503, 'ERR_TOO_MANY_STREAMS', `at most ${MAX_SSE_CLIENTS} event streams at once: close other tabs`)
      return
    }
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no'
    })
    // Tells EventSource how long to wait before reconnecting.
    response.write('retry: 2000\n\n')
    this.clients.add(response)
    request.socket.setNoDelay(true)
    request.socket.setTimeout(0)
    response.on('close', () => { this.clients.delete(response) })
    this.heartbeat ??= setInterval(() => { this.broadcast(': keep-alive\n\n') }, HEARTBEAT_MS).unref()
  }

  /** Sends an event to every stream; a `download:progress` is coalesced by `key`. */
  publish (event: string, data: unknown, key?: string): void {
    if (this.clients.size === 0) {
      return
    }
    if (COALESCED.has(event) && key != null) {
      this.pending.set(`${event}\u0000${key}`, { event, data })
      this.flushTimer ??= setTimeout(() => { this.flush() }, PROGRESS_FLUSH_MS)
      return
    }
    if (event === 'download:status' && key != null) {
      // A status answers the question the pending progress asked: sending that after would show stale figures.
      this.pending.delete(`download:progress\u0000${key}`)
    }
    this.broadcast(frame(event, data))
  }

  /** Ends every stream. */
  close (): void {
    clearTimeout(this.flushTimer)
    clearInterval(this.heartbeat)
    this.pending.clear()
    for (const client of this.clients) {
      client.end()
    }
    this.clients.clear()
  }

  private flush (): void {
    this.flushTimer = undefined
    const frames = [...this.pending.values()].map(({ event, data }) => frame(event, data)).join('')
    this.pending.clear()
    if (frames !== '') {
      this.broadcast(frames)
    }
  }

  private broadcast (text: string): void {
    for (const client of this.clients) {
      if (client.writableLength > MAX_BUFFERED_BYTES) {
        client.destroy()
        continue
      }
      client.write(text)
    }
  }
}

function frame (event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}
