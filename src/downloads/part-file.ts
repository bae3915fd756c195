import { constants } from 'node:fs'
import { link, open, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { errorCode, toWriteError } from './errors.ts'
import { collisionName } from './file-names.ts'
import type { FileHandle } from 'node:fs/promises'

/** The suffix of a file still being downloaded. */
export const PART_SUFFIX = '.part'

/** Collisions tried before giving up on a name: far more than any folder holds by accident. */
const MAX_COLLISIONS = 10_000

/**
 * A download's bytes on disk: `<downloadDir>/<name>.part`, sized to the file
 * up front (sparse, so nothing is written twice) and written piece by piece at
 * each piece's offset.
 */
export class PartFile {
  readonly path: string
  private readonly handle: FileHandle

  private constructor (path: string, handle: FileHandle) {
    this.path = path
    this.handle = handle
  }

  /** Creates a new part file for `name` in `dir`, never over an existing file: `name.part`, `name (1).part`, … */
  static async create (dir: string, name: string, size: number): Promise<PartFile> {
    for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
      const path = join(dir, collisionName(name, attempt) + PART_SUFFIX)
      let handle: FileHandle
      try {
        handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644)
      } catch (err) {
        if (errorCode(err) === 'EEXIST') {
          continue
        }
        throw toWriteError(err, path)
      }
      const part = new PartFile(path, handle)
      await part.truncateTo(size)
      return part
    }
    throw toWriteError(collision(join(dir, name)), join(dir, name))
  }

  /** Opens an existing part file; undefined when it is gone or no longer `size` bytes long (then it cannot be trusted). */
  static async reopen (path: string, size: number): Promise<PartFile | undefined> {
    let handle: FileHandle
    try {
      handle = await open(path, constants.O_RDWR)
    } catch (err) {
      if (errorCode(err) === 'ENOENT') {
        return undefined
      }
      throw toWriteError(err, path)
    }
    const { size: actual } = await handle.stat()
    if (actual !== size) {
      await handle.close()
      return undefined
    }
    return new PartFile(path, handle)
  }

  /** Writes `chunks`, in order, at `position`: one `writev` (more only when the kernel writes less). */
  async write (chunks: readonly Uint8Array[], position: number): Promise<void> {
    try {
      let rest = chunks
      while (rest.length > 0) {
        const { bytesWritten } = await this.handle.writev(rest, position)
        position += bytesWritten
        rest = afterBytes(rest, bytesWritten)
      }
    } catch (err) {
      throw toWriteError(err, this.path)
    }
  }

  /** Flushes written bytes to the disk; a piece is recorded as done only after this. */
  async sync (): Promise<void> {
    try {
      await this.handle.datasync()
    } catch (err) {
      throw toWriteError(err, this.path)
    }
  }

  /** The part file's length on disk. */
  async size (): Promise<number> {
    return (await this.handle.stat()).size
  }

  /** Closes the file; safe to call twice. */
  async close (): Promise<void> {
    await this.handle.close().catch(() => {})
  }

  private async truncateTo (size: number): Promise<void> {
    try {
      await this.handle.truncate(size)
    } catch (err) {
      await this.close()
      await unlink(this.path).catch(() => {})
      throw toWriteError(err, this.path)
    }
  }
}

/** What is left of `chunks` once their first `count` bytes are gone. */
function afterBytes (chunks: readonly Uint8Array[], count: number): readonly Uint8Array[] {
  let i = 0
  while (i < chunks.length && count >= chunks[i].byteLength) {
    count -= chunks[i].byteLength
    i++
  }
  return count === 0 ? chunks.slice(i) : [chunks[i].subarray(count), ...chunks.slice(i + 1)]
}

/**
 * Gives a finished part file its final name in `dir` without ever replacing a
 * file: `name`, `name (1)`, … `onCandidate` runs before each attempt, so the
 * caller can record the name it is about to take (a crash then finds it).
 * A hard link is atomic and fails if the name exists, which rename(2) does not
 * offer; where links are not supported the part file is renamed after a check.
 */
export async function publish (partPath: string, dir: string, name: string, onCandidate: (path: string) => Promise<void>): Promise<string> {
  for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
    const path = join(dir, collisionName(name, attempt))
    await onCandidate(path)
    try {
      await linkOrRename(partPath, path)
      return path
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') {
        throw toWriteError(err, path)
      }
    }
  }
  throw toWriteError(collision(join(dir, name)), join(dir, name))
}

async function linkOrRename (from: string, to: string): Promise<void> {
  try {
    await link(from, to)
  } catch (err) {
    if (!LINK_UNSUPPORTED.has(errorCode(err) ?? '')) {
      throw err
    }
    if (await exists(to)) {
      throw collision(to)
    }
    await rename(from, to)
    return
  }
  await unlink(from)
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV'])

function collision (path: string): Error {
  return Object.assign(new Error(`${path} exists`), { code: 'EEXIST' })
}

/** Whether two paths name the same file (a hard link left by a crash between link and unlink). */
export async function sameFile (a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)])
  return sa != null && sb != null && sa.ino === sb.ino && sa.dev === sb.dev
}

/** Flushes a folder's entries (new names, removed ones) to the disk. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined)
  // Some platforms (Windows) cannot open or fsync a folder: the rename is then as durable as they make it.
  await handle?.sync().catch(() => {})
  await handle?.close()
}

/** Whether something exists at `path`. */
export async function exists (path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}
