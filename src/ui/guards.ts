import type { IncomingMessage } from 'node:http'

/**
 * The checks every request to the web UI passes before anything else, and
 * the headers every answer carries. The UI is served on 127.0.0.1 only, yet a
 * web page the user visits can still aim requests at it: these stop that.
 */

/**
 * Nothing but the daemon's own files: no inline script or style (an injected
 * `<script>` does not run), no other origin, no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'"
].join('; ')

/** Headers on every answer. No `Access-Control-*` ever: other origins get no CORS. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  // The login URL carries the token: it must never leak in a Referer.
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin'
}

/** The `Host` values this server answers to: a DNS-rebinding page arrives with its own name. */
export function allowedHosts (port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`])
}

/** Whether the request names this server in `Host`. */
export function hostAllowed (request: IncomingMessage, port: number): boolean {
  const host = request.headers.host
  return host != null && allowedHosts(port).has(host.toLowerCase())
}

/** Methods that change nothing; every other one must come from the UI's own pages. */
export function isSafeMethod (method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}

/**
 * Whether a state-changing request may proceed. A browser always sends
 * `Origin` on a POST: it must be this server. A request without one is a
 * script (curl, a test), accepted only with the bearer token, which a
 * cross-site page cannot know; a session cookie alone is not enough there.
 */
export function originAllowed (request: IncomingMessage, port: number, auth: 'bearer' | 'session'): boolean {
  const site = request.headers['sec-fetch-site']
  if (site != null && site !== 'same-origin' && site !== 'none') {
    return false
  }
  const origin = request.headers.origin
  if (origin == null) {
    return auth === 'bearer'
  }
  return [...allowedHosts(port)].some(host => origin === `http://${host}`)
}
