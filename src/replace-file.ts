import { randomBytes } from 'node:crypto'
import { rename, rm, writeFile } from 'node:fs/promises'

/**
 * Replaces the file at `path` with `text` atomically: written beside it under
 * a fresh name, then renamed over it, so a crash leaves the old file or the
 * new one, never half of either. The temporary file never outlives the call.
 */
export async function replaceFile (path: string, text: string, options: { mode?: number } = {}): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, text, { flag: 'wx', ...(options.mode == null ? {} : { mode: options.mode }) })
    await rename(temporary, path)
  } finally {
    await rm(temporary, { force: true })
  }
}
