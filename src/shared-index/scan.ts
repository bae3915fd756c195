import { lstat, opendir } from 'node:fs/promises'
import { join } from 'node:path'

/** What a scan learns of one regular file, before hashing. */
export interface ScannedFile {
  /** Path below the shared folder, '/'-separated on every platform. */
  relativePath: string
  size: number
  mtimeMs: number
}

/** Options for {@link scanSharedDir}. */
export interface ScanOptions {
  signal?: AbortSignal
  /** Called for entries that could not be read (they are skipped). */
  onError?: (path: string, err: unknown) => void
}

// Stat calls in flight at once: enough to hide latency, few enough not to hog libuv's 4 threads.
const STAT_CONCURRENCY = 64

/**
 * Whether a directory entry is never shared: dot-entries (the `.peerit` state
 * folder when the shared folder is the config folder, editors' and our own
 * hidden temp files, `.git`…) and `*.part` files, which are downloads still
 * being written.
 */
export function isIgnoredName (name: string): boolean {
  return name.startsWith('.') || name.endsWith('.part')
}

/**
 * Lists every regular file below `root` without following symbolic links,
 * so nothing outside `root` is ever reached through a link (files or folders).
 */
export async function scanSharedDir (root: string, options: ScanOptions = {}): Promise<ScannedFile[]> {
  const files: ScannedFile[] = []
  const folders: string[] = ['']
  while (folders.length > 0) {
    options.signal?.throwIfAborted()
    const folder = folders.pop() ?? ''
    const candidates: string[] = []
    try {
      for await (const entry of await opendir(join(root, folder))) {
        if (isIgnoredName(entry.name) || entry.isSymbolicLink()) {
          continue
        }
        const relativePath = folder === '' ? entry.name : `${folder}/${entry.name}`
        if (entry.isDirectory()) {
          folders.push(relativePath)
        } else if (entry.isFile()) {
          candidates.push(relativePath)
        }
      }
    } catch (err) {
      options.onError?.(folder, err)
      continue
    }
    for (let start = 0; start < candidates.length; start += STAT_CONCURRENCY) {
      const stats = await Promise.all(candidates.slice(start, start + STAT_CONCURRENCY).map(async (relativePath) => {
        try {
          // lstat again: the entry may have been swapped for a link since readdir.
          const stat = await lstat(join(root, relativePath))
          return stat.isFile() ? { relativePath, size: stat.size, mtimeMs: stat.mtimeMs } : undefined
        } catch (err) {
          options.onError?.(relativePath, err)
          return undefined
        }
      }))
      for (const stat of stats) {
        if (stat !== undefined) {
          files.push(stat)
        }
      }
    }
  }
  return files
}
