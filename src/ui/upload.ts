import { createWriteStream } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { sanitiseFileName } from '../downloads/file-names.ts'
import { hiddenTemporaryName, linkIntoFolder } from '../shared-index/copy.ts'
import { declaredLength } from './body.ts'
import { HttpError } from './respond.ts'
import type { IncomingMessage } from 'node:http'

/** Limits of one upload. */
export interface UploadLimits {
  /** Largest file accepted. */
  maxBytes: number
  /** A body that sends nothing for this long is cut off. */
  idleTimeoutMs: number
}

/** Default limits: a large video fits, a disk-filling stream does not. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { maxBytes: 4 * 1024 ** 3, idleTimeoutMs: 30_000 }

// Anything that could make the name a path, or hide it, is refused rather
// than mangled: the user should see that `../../x` was not what landed.
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const PATH_LIKE = /[/\\\u0000]|^\.|^\s*$/u

/**
 * Checks an uploaded file's name: a plain file name (no folder, not hidden,
 * not `..`), then made safe the way download names are (no control or bidi
 * characters, bounded length).
 */
export function uploadName (raw: string | null): string {
  if (raw == null || PATH_LIKE.test(raw)) {
    throw new HttpError(400, 'ERR_BAD_NAME', 'name must be a plain file name: no folders, not starting with a dot')
  }
  return sanitiseFileName(raw)
}

/**
 * Writes a request body into `folder` as `name` (or `name (1)` … when taken):
 * first under a hidden temporary name no sync indexes, then linked into place,
 * so nothing half-written is ever shared and nothing is overwritten. The body
 * must declare its length, at most `limits.maxBytes`, and must send exactly
 * that. Returns the path written.
 */
export async function receiveUpload (request: IncomingMessage, folder: string, name: string, limits: UploadLimits = DEFAULT_UPLOAD_LIMITS): Promise<string> {
  const length = declaredLength(request)
  if (length == null) {
    throw new HttpError(411, 'ERR_LENGTH_REQUIRED', 'an upload must declare its Content-Length')
  }
  if (length > limits.maxBytes) {
    throw new HttpError(413, 'ERR_UPLOAD_TOO_LARGE', `a file may be at most ${limits.maxBytes} bytes`)
  }
  const temporary = hiddenTemporaryName(folder, 'peerit-upload')
  let received = 0
  const counter = new Transform({
    transform (chunk: Buffer, _encoding, callback) {
      received += chunk.length
      callback(received > length ? new HttpError(400, 'ERR_BAD_LENGTH', 'the body is longer than its Content-Length') : null, chunk)
    }
  })
  const controller = new AbortController()
  let timer = setTimeout(() => { controller.abort() }, limits.idleTimeoutMs)
  request.on('data', () => {
    clearTimeout(timer)
    timer = setTimeout(() => { controller.abort() }, limits.idleTimeoutMs)
  })
  try {
    await pipeline(request, counter, createWriteStream(temporary, { flags: 'wx', mode: 0o644 }), { signal: controller.signal })
    if (received !== length) {
      throw new HttpError(400, 'ERR_BAD_LENGTH', 'the body ended before its Content-Length')
    }
    return join(folder, await linkIntoFolder(temporary, folder, name))
  } catch (err: any) {
    await rm(temporary, { force: true })
    if (controller.signal.aborted) {
      throw new HttpError(408, 'ERR_BODY_TIMEOUT', `the upload sent nothing for ${limits.idleTimeoutMs} ms`)
    }
    if (err instanceof HttpError) {
      throw err
    }
    if (err?.code === 'ENOSPC') {
      throw new HttpError(507, 'ERR_NO_SPACE', 'the shared folder\'s disk is full')
    }
    throw new HttpError(400, 'ERR_UPLOAD_FAILED', `the upload did not complete: ${String(err?.message ?? err)}`)
  } finally {
    clearTimeout(timer)
  }
}
