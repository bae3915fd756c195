import { watch } from 'node:fs'
import { lstat, realpath, stat } from 'node:fs/promises'
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { raceSignal } from 'race-signal'
import { sanitizeName } from '../protocols/fetch/index.ts'
import { hashFile } from '../protocols/file/manifest.ts'
import { compileQuery, fileKindOf } from './search/index.ts'
import { copyIntoFolder } from './shared-index/copy.ts'
import { isIgnoredName, scanSharedDir } from './shared-index/scan.ts'
import type { FetchQuery, SharedFileEntry } from '../protocols/fetch/index.ts'
import type { FileKind } from './search/index.ts'
import type { ScannedFile } from './shared-index/scan.ts'
import type { Section } from './store.ts'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { FSWatcher } from 'node:fs'

/** A file in the shared folder, as indexed. */
export interface SharedFile {
  /** Content id: lowercase hex SHA-256 of the file's manifest. */
  id: string
  name: string
  /** Path below the shared folder, '/'-separated. */
  relativePath: string
  /** Absolute path on this machine. */
  path: string
  size: number
  mtimeMs: number
  type: FileKind
}

/** A shared file together with its manifest's canonical bytes (what the file server needs). */
export type IndexedSharedFile = SharedFile & { manifestBytes: Uint8Array }

/** What one sync changed. */
export interface SyncResult {
  added: number
  updated: number
  removed: number
  total: number
}

/** One shared file as persisted, keyed by its relative path. */
export interface SharedFileRecord {
  id: string
  size: number
  mtimeMs: number
  /** The manifest's canonical bytes, base64. */
  manifest: string
}

/** Options for {@link SharedIndex}. */
export interface SharedIndexInit {
  section: Section<SharedFileRecord>
  sharedDir: string
  logger: ComponentLogger
  /** Quiet time after the last change before the watcher resyncs (default 500 ms). */
  watchDebounceMs?: number
  /** Called whenever a file enters or leaves the index (the fetch service rebuilds its routing table, the DHT provides); callers batch the work it triggers; must not throw. */
  onChange?: () => void
}

/** Thrown by `share()` when the source is not a readable regular file. */
export class NotAFileError extends Error {
  static readonly code = 'ERR_NOT_A_FILE'
  readonly code = NotAFileError.code
  constructor (path: string) {
    super(`${path} is not a regular file`)
    this.name = 'NotAFileError'
  }
}

/** Thrown by `share()` when the source does not exist. */
export class MissingFileError extends Error {
  static readonly code = 'ERR_NO_SUCH_FILE'
  readonly code = MissingFileError.code
  constructor (path: string) {
    super(`${path} does not exist`)
    this.name = 'MissingFileError'
  }
}

// Files hashed at once: two keeps both cores busy without thrashing the disk.
const HASH_CONCURRENCY = 2
// LevelDB writes are grouped so a sync of many files is a few batches, not many puts.
const WRITE_BATCH = 1000

type Write = { type: 'put', key: string, value: SharedFileRecord } | { type: 'del', key: string }

/**
 * The index of the shared folder: every regular file below it (no symbolic
 * links, nothing outside it) with its content id, kept in LevelDB and in
 * memory by path and by id. The file server may only ever serve what is here.
 */
export class SharedIndex {
  private readonly section: Section<SharedFileRecord>
  private readonly sharedDir: string
  private readonly log: Logger
  private readonly watchDebounceMs: number
  private readonly onChange: () => void
  private readonly byPath = new Map<string, IndexedSharedFile>()
  private readonly byId = new Map<string, Set<string>>()
  private readonly shutdown = new AbortController()
  private running?: Promise<SyncResult>
  private watcher?: FSWatcher
  private watchTimer?: ReturnType<typeof setTimeout>
  private root?: string

  constructor (init: SharedIndexInit) {
    this.section = init.section
    this.sharedDir = resolve(init.sharedDir)
    this.log = init.logger.forComponent('peerit:shared-index')
    this.watchDebounceMs = init.watchDebounceMs ?? 500
    this.onChange = init.onChange ?? (() => {})
  }

  /** How many files are indexed. */
  get size (): number {
    return this.byPath.size
  }

  /** Loads the persisted index into memory. */
  async open (): Promise<void> {
    // Paths are reported below the real folder (a missing folder is created later by the config).
    await this.realRoot().catch(() => undefined)
    for await (const [relativePath, record] of this.section.iterator()) {
      if (typeof record?.id === 'string' && typeof record.manifest === 'string') {
        this.remember(relativePath, record)
      }
    }
    this.log('opened shared index with %d files', this.byPath.size)
  }

  /**
   * Brings the index in line with the shared folder. Unchanged files (same
   * size and mtime) are not hashed again; a file that changes, vanishes or
   * cannot be read while it is hashed is left out this round. Concurrent
   * calls share one run; a caller's `signal` only stops that caller waiting.
   */
  async sync (options: { signal?: AbortSignal } = {}): Promise<SyncResult> {
    this.running ??= this.runSync().finally(() => { this.running = undefined })
    return options.signal === undefined ? this.running : raceSignal(this.running, options.signal)
  }

  /** Copies a file into the shared folder (renaming on collision) and indexes it; a file already in the folder is just indexed. */
  async share (sourcePath: string): Promise<SharedFile> {
    const source = resolve(sourcePath)
    const sourceStat = await stat(source).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
        throw new MissingFileError(source)
      }
      return undefined
    })
    if (sourceStat?.isFile() !== true) {
      throw new NotAFileError(source)
    }
    const root = await this.realRoot()
    await this.running?.catch(() => {})
    const inside = relative(root, await realpath(source))
    const relativePath = isShareablePath(inside)
      ? inside.split(sep).join('/')
      : await copyIntoFolder(source, root, basename(source))
    const writes: Write[] = []
    const file = await this.indexFile(root, relativePath, writes)
    await this.section.batch(writes)
    if (file === undefined) {
      throw new NotAFileError(source)
    }
    return publicView(file)
  }

  /** Every indexed file. */
  list (): SharedFile[] {
    return [...this.byPath.values()].map(publicView)
  }

  /** The file with this content id, with its manifest bytes; undefined when not shared. */
  get (contentId: string): IndexedSharedFile | undefined {
    const paths = this.byId.get(contentId)
    return paths === undefined ? undefined : this.firstOf(paths)
  }

  /**
   * Drops the copy of `contentId` at `path` because serving found it gone or
   * changed: fetch answers stop offering it at once, not at the next sync
   * (which indexes it again if it comes back). False when it was not indexed.
   */
  async forgetUnavailable (contentId: string, path: string): Promise<boolean> {
    const relativePath = [...this.byId.get(contentId) ?? []].find(p => this.byPath.get(p)?.path === path)
    if (relativePath === undefined) {
      return false
    }
    const writes: Write[] = []
    this.forget(relativePath, writes)
    this.log('dropped %s: it is gone or changed since it was indexed', relativePath)
    await this.section.batch(writes)
    return true
  }

  /**
   * The shared files matching a fetch query (all when none), one entry per
   * content id. Of several copies of the same bytes, the first whose name
   * matches and can be sent is announced: a copy whose name sanitises to
   * nothing (say, only U+202E) must not hide a copy with a usable name.
   */
  match (query?: FetchQuery): SharedFileEntry[] {
    const compiled = compileQuery(query)
    const entries: SharedFileEntry[] = []
    for (const paths of this.byId.values()) {
      for (const path of paths) {
        const file = this.byPath.get(path)
        if (file !== undefined && sanitizeName(file.name) !== undefined && compiled.matches(file.name)) {
          entries.push({ id: file.id, name: file.name, size: file.size, type: file.type })
          break
        }
      }
    }
    return entries
  }

  /** Follows changes of the shared folder: each burst of changes triggers one sync after a quiet time. */
  watch (): void {
    if (this.watcher !== undefined || this.shutdown.signal.aborted) {
      return
    }
    this.watcher = watch(this.sharedDir, { recursive: true }, () => { this.scheduleSync() })
    this.watcher.on('error', (err) => { this.log.error('watching %s failed - %e', this.sharedDir, err) })
  }

  /** Stops watching and waits for a running sync to stop. */
  async close (): Promise<void> {
    this.shutdown.abort()
    this.watcher?.close()
    this.watcher = undefined
    clearTimeout(this.watchTimer)
    await this.running?.catch(() => {})
  }

  /** One of the files holding the same content (the first indexed). */
  private firstOf (paths: Set<string>): IndexedSharedFile | undefined {
    const [first] = paths
    return first === undefined ? undefined : this.byPath.get(first)
  }

  private scheduleSync (): void {
    clearTimeout(this.watchTimer)
    this.watchTimer = setTimeout(() => {
      // A sync already scanning may have missed this change: go again after it.
      const before = this.running ?? Promise.resolve(undefined)
      before.catch(() => {}).then(async () => this.sync()).then(
        (result) => { this.log('watch sync %o', result) },
        (err) => { if (!this.shutdown.signal.aborted) this.log.error('watch sync failed - %e', err) }
      )
    }, this.watchDebounceMs)
  }

  private async realRoot (): Promise<string> {
    this.root ??= await realpath(this.sharedDir)
    return this.root
  }

  private async runSync (): Promise<SyncResult> {
    const signal = this.shutdown.signal
    signal.throwIfAborted()
    const root = await this.realRoot()
    const started = Date.now()
    const scanned = await scanSharedDir(root, {
      signal,
      onError: (path, err) => { this.log.error('cannot read %s - %e', path, err) }
    })
    const result: SyncResult = { added: 0, updated: 0, removed: 0, total: 0 }
    const writes: Write[] = []
    const present = new Set(scanned.map(file => file.relativePath))
    for (const relativePath of [...this.byPath.keys()]) {
      if (!present.has(relativePath)) {
        this.forget(relativePath, writes)
        result.removed++
      }
    }
    const changed = scanned.filter(file => {
      const known = this.byPath.get(file.relativePath)
      return known === undefined || known.size !== file.size || known.mtimeMs !== file.mtimeMs
    })
    await forEachLimited(changed, HASH_CONCURRENCY, async (scannedFile: ScannedFile) => {
      const known = this.byPath.has(scannedFile.relativePath)
      const file = await this.indexFile(root, scannedFile.relativePath, writes, signal)
      if (file !== undefined) {
        result[known ? 'updated' : 'added']++
      } else if (known) {
        result.removed++
      }
      if (writes.length >= WRITE_BATCH) {
        await this.section.batch(writes.splice(0))
      }
    })
    await this.section.batch(writes.splice(0))
    result.total = this.byPath.size
    this.log('synced %s in %d ms: %o', root, Date.now() - started, result)
    return result
  }

  /** Hashes one file and indexes it; on failure it leaves the index (logged) and undefined is returned. */
  private async indexFile (root: string, relativePath: string, writes: Write[], signal?: AbortSignal): Promise<IndexedSharedFile | undefined> {
    const path = join(root, relativePath)
    try {
      const hashed = await hashFile(path, { signal })
      // hashFile follows links: make sure the path is still the plain file it hashed.
      const after = await lstat(path)
      if (!after.isFile() || after.size !== hashed.manifest.size || after.mtimeMs !== hashed.mtimeMs) {
        throw new Error('file changed or was replaced while hashed')
      }
      const record: SharedFileRecord = {
        id: hashed.contentId,
        size: hashed.manifest.size,
        mtimeMs: hashed.mtimeMs,
        manifest: Buffer.from(hashed.manifestBytes).toString('base64')
      }
      this.forget(relativePath)
      writes.push({ type: 'put', key: relativePath, value: record })
      return this.remember(relativePath, record)
    } catch (err) {
      signal?.throwIfAborted()
      this.log.error('skipping %s this round - %e', relativePath, err)
      if (this.byPath.has(relativePath)) {
        this.forget(relativePath, writes)
      }
      return undefined
    }
  }

  private remember (relativePath: string, record: SharedFileRecord): IndexedSharedFile {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1)
    const file: IndexedSharedFile = {
      id: record.id,
      name,
      relativePath,
      path: join(this.root ?? this.sharedDir, ...relativePath.split('/')),
      size: record.size,
      mtimeMs: record.mtimeMs,
      type: fileKindOf(name),
      manifestBytes: Buffer.from(record.manifest, 'base64')
    }
    this.byPath.set(relativePath, file)
    const paths = this.byId.get(record.id) ?? new Set<string>()
    paths.add(relativePath)
    this.byId.set(record.id, paths)
    this.onChange()
    return file
  }

  private forget (relativePath: string, writes?: Write[]): void {
    const file = this.byPath.get(relativePath)
    if (file === undefined) {
      return
    }
    this.byPath.delete(relativePath)
    const paths = this.byId.get(file.id)
    paths?.delete(relativePath)
    if (paths?.size === 0) {
      this.byId.delete(file.id)
    }
    writes?.push({ type: 'del', key: relativePath })
    this.onChange()
  }
}

/** Whether a path relative to the shared folder stays inside it and would be indexed by a sync. */
function isShareablePath (relativePath: string): boolean {
  if (relativePath === '' || isAbsolute(relativePath)) {
    return false
  }
  return relativePath.split(sep).every(part => part !== '..' && !isIgnoredName(part))
}

function publicView (file: IndexedSharedFile): SharedFile {
  const { manifestBytes: _manifestBytes, ...shared } = file
  return shared
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function forEachLimited<T> (items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      await task(items[next++])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
