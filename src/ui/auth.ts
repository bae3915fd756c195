import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, readFile } from 'node:fs/promises'
import { replaceFile } from '../replace-file.ts'
import type { IncomingMessage } from 'node:http'

/** 24 random bytes: 192 bits, 32 characters of base64url, so the login URL fits 80 columns. */
const TOKEN_BYTES = 24
const SESSION_BYTES = 32
/** A token file holding anything else (hand-edited, truncated) is replaced. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/
/** Browser sessions kept at once; the oldest is forgotten first (it logs in again with `peerit ui`). */
export const MAX_SESSIONS = 64

/**
 * The web UI's credentials: the token (in `.peerit/ui-token`, 0600) that
 * `peerit ui` hands out, and the sessions of browsers that logged in with it.
 * Rotating the token ends every session.
 */
export class UiAuth {
  private token = ''
  private readonly sessions = new Set<string>()
  private readonly tokenPath: string
  /** The session cookie's name: cookies are shared by every port of a host, so two nodes' must differ. */
  cookieName = 'peerit_session'

  constructor (tokenPath: string) {
    this.tokenPath = tokenPath
  }

  /** Reads the token, creating it on first use. */
  async load (): Promise<void> {
    const stored = (await readFile(this.tokenPath, 'utf8').catch(() => '')).trim()
    if (TOKEN_PATTERN.test(stored)) {
      this.token = stored
      await chmod(this.tokenPath, 0o600)
      return
    }
    await this.rotate()
  }

  /** A new token, written atomically; the old one and every session stop working. */
  async rotate (): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    await replaceFile(this.tokenPath, `${token}\n`, { mode: 0o600 })
    this.token = token
    this.sessions.clear()
    return token
  }

  /** The current token. */
  current (): string {
    return this.token
  }

  /** Whether `candidate` is the current token (constant time). */
  isToken (candidate: string | undefined | null): boolean {
    return candidate != null && this.token !== '' && sameSecret(candidate, this.token)
  }

  /** Opens a session for a browser that presented the token; returns its id. */
  openSession (): string {
    const id = randomBytes(SESSION_BYTES).toString('base64url')
    this.sessions.add(id)
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.values().next().value
      if (oldest != null) {
        this.sessions.delete(oldest)
      }
    }
    return id
  }

  /** How a request proved itself: a bearer token, a session cookie, or not at all. */
  authenticate (request: IncomingMessage): 'bearer' | 'session' | undefined {
    const header = request.headers.authorization
    if (header != null) {
      const match = /^Bearer\s+(\S+)$/i.exec(header)
      return match != null && this.isToken(match[1]) ? 'bearer' : undefined
    }
    const session = cookieValue(request.headers.cookie, this.cookieName)
    return session != null && this.sessions.has(session) ? 'session' : undefined
  }

  /** The `Set-Cookie` value for a new session. */
  sessionCookie (session: string): string {
    return `${this.cookieName}=${session}; Path=/; HttpOnly; SameSite=Strict`
  }
}

function sameSecret (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** One cookie's value from a `Cookie` header. */
export function cookieValue (header: string | undefined, name: string): string | undefined {
  if (header == null) {
    return undefined
  }
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index !== -1 && part.slice(0, index).trim() === name) {
      return part.slice(index + 1).trim()
    }
  }
  return undefined
}
