// The page's one door to the daemon: /api/<method> calls and the /api/events
// stream. The session cookie set by /login authenticates every request.

/** An API call that was refused: `status` is the HTTP status, `code` the daemon's error code. */
export class ApiError extends Error {
  constructor (status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

const listeners = new Set()

/** Calls `onUnauthorized` whenever the daemon answers 401 (not logged in, or the token was rotated). */
export function onUnauthorized (listener) {
  listeners.add(listener)
}

async function answer (response) {
  const body = await response.json().catch(() => null)
  if (response.ok) {
    return body
  }
  if (response.status === 401) {
    listeners.forEach(listener => listener())
  }
  const error = body?.error ?? {}
  throw new ApiError(response.status, error.code ?? 'ERR_HTTP', error.message ?? `HTTP ${response.status}`)
}

/** GET /api/<name>?query */
export async function get (name, query = {}) {
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v != null && v !== ''))
  const qs = search.toString()
  return answer(await fetch(`/api/${name}${qs === '' ? '' : `?${qs}`}`, { credentials: 'same-origin' }))
}

/** POST /api/<name> with JSON params. */
export async function post (name, params = {}) {
  return answer(await fetch(`/api/${name}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(params)
  }))
}

/** Uploads one File into the shared folder; resolves with the shared file `{ id, name, size }`. */
export async function upload (file) {
  return answer(await fetch(`/api/upload?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: file
  }))
}

/**
 * Follows /api/events: `handlers` maps an event name to a function of its
 * data; `onOpen` runs at every (re)connection, so views can catch up on what
 * they missed; `onDown` when the stream drops.
 */
export function follow (handlers, { onOpen, onDown } = {}) {
  const source = new EventSource('/api/events')
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => { handler(JSON.parse(event.data)) })
  }
  source.addEventListener('open', () => { onOpen?.() })
  source.addEventListener('error', () => { onDown?.() })
  return source
}
