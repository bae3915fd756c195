import { randomBytes } from 'node:crypto'
import { copyFile, link, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { collisionName } from '../downloads/file-names.ts'

/**
 * Copies a file into `folder` under `name`, or the first free collision name,
 * and returns the name used. The copy is made under a hidden temporary name
 * (never indexed) and then hard-linked into place: a sync or watcher never
 * sees a half-written file, and an existing file is never overwritten.
 */
export async function copyIntoFolder (sourcePath: string, folder: string, name: string): Promise<string> {
  const temporary = hiddenTemporaryName(folder, 'peerit-share')
  await copyFile(sourcePath, temporary)
  return linkIntoFolder(temporary, folder, name)
}

/** A hidden name in `folder` that no sync indexes, for a file still being written. */
export function hiddenTemporaryName (folder: string, suffix: string): string {
  return join(folder, `.${randomBytes(8).toString('hex')}.${suffix}`)
}

/**
 * Moves a finished temporary file in `folder` to `name`, or the first free
 * collision name, and returns the name used; the temporary name is gone
 * afterwards, whatever happened. Linking (not renaming) never replaces a file.
 */
export async function linkIntoFolder (temporary: string, folder: string, name: string): Promise<string> {
  try {
    for (let attempt = 0; ; attempt++) {
      const candidate = collisionName(name, attempt)
      try {
        await link(temporary, join(folder, candidate))
        return candidate
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw err
        }
      }
    }
  } finally {
    await unlink(temporary).catch(() => {})
  }
}
