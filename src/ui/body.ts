import { HttpError } from './respond.ts'
import type { IncomingMessage } from 'node:http'

/** Limits of a request body. */
export interface BodyLimits {
  maxBytes: number
  /** The whole body must have arrived by then: a body that never ends is cut off. */
  deadlineMs: number
}

/** JSON request bodies: no API call needs more than a few hundred bytes. */
export const JSON_BODY_LIMITS: BodyLimits = { maxBytes: 64 * 1024, deadlineMs: 5_000 }

/**
 * Reads a JSON object body within `limits`; an empty body is `{}`. Refuses a
 * declared or actual size over the limit (413), a body still unfinished at
 * the deadline (408), a type other than JSON (415: a cross-site form cannot
 * send one without a preflight, which never succeeds here), and anything but
 * an object (400).
 */
export async function readJsonBody (request: IncomingMessage, limits: BodyLimits = JSON_BODY_LIMITS): Promise<Record<string, unknown>> {
  const declared = declaredLength(request)
  if (declared === 0) {
    return {}
  }
  const type = request.headers['content-type'] ?? ''
  if (!/^application\/json(\s*;|$)/i.test(type)) {
    throw new HttpError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', 'send the parameters as a JSON object with Content-Type: application/json')
  }
  if (declared != null && declared > limits.maxBytes) {
    throw new HttpError(413, 'ERR_BODY_TOO_LARGE', `the body may be at most ${limits.maxBytes} bytes`)
  }
  const text = await readAll(request, limits)
  if (text.trim() === '') {
    return {}
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'ERR_INVALID_JSON', 'the body is not valid JSON')
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'ERR_INVALID_PARAMS', 'the body must be a JSON object of parameters')
  }
  return value as Record<string, unknown>
}

/** `Content-Length` as a number; undefined when absent (chunked); throws when it is not a number. */
export function declaredLength (request: IncomingMessage): number | undefined {
  const header = request.headers['content-length']
  if (header == null) {
    return request.headers['transfer-encoding'] == null ? 0 : undefined
  }
  if (!/^\d+$/.test(header)) {
    throw new HttpError(400, 'ERR_BAD_LENGTH', 'Content-Length must be a number')
  }
  return Number(header)
}

async function readAll (request: IncomingMessage, limits: BodyLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (err?: Error): void => {
      clearTimeout(timer)
      request.off('data', onData)
      request.off('end', onEnd)
      request.off('error', onError)
      if (err != null) {
        request.pause()
        reject(err)
      } else {
        resolve(Buffer.concat(chunks).toString('utf8'))
      }
    }
    const timer = setTimeout(() => { finish(new HttpError(408, 'ERR_BODY_TIMEOUT', `the body did not arrive within ${limits.deadlineMs} ms`)) }, limits.deadlineMs)
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limits.maxBytes) {
        finish(new HttpError(413, 'ERR_BODY_TOO_LARGE', `the body may be at most ${limits.maxBytes} bytes`))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => { finish() }
    const onError = (err: Error): void => { finish(err) }
    request.on('data', onData)
    request.on('end', onEnd)
    request.on('error', onError)
  })
}
