import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { encodeManifest } from '../../protocols/file/manifest.ts'
import { fileKindOf } from '../search/index.ts'
import type { Manifest } from '../../protocols/file/manifest.ts'
import type { IndexedSharedFile } from '../shared-index.ts'
import type { Section } from '../store.ts'
import type { Logger } from '@libp2p/interface'

/** A completed download as it is kept for seeding, keyed by its content id. */
interface DownloadedFileRecord {
  path: string
  size: number
  mtimeMs: number
  /** The manifest's canonical bytes, base64. */
  manifest: string
}

/**
 * Completed downloads, the shared index's second source: each is served to
 * other peers like a file of the shared folder, from where it was saved, so
 * files spread the BitTorrent way. A file that was moved, changed or deleted
 * since is dropped when the node opens (and the file server refuses it
 * anyway: it checks size and mtime before every answer).
 */
export class DownloadedFiles {
  private readonly section: Section<DownloadedFileRecord>
  private readonly log: Logger
  private readonly byId = new Map<string, IndexedSharedFile>()

  constructor (section: Section<DownloadedFileRecord>, log: Logger) {
    this.section = section
    this.log = log
  }

  /** Loads the kept downloads, dropping those whose file is no longer as downloaded. */
  async open (): Promise<void> {
    const gone: string[] = []
    for await (const [contentId, record] of this.section.iterator()) {
      const info = await stat(record?.path ?? '').catch(() => undefined)
      if (info?.isFile() !== true || info.size !== record.size || info.mtimeMs !== record.mtimeMs) {
        gone.push(contentId)
        continue
      }
      this.remember(contentId, record)
    }
    await this.section.batch(gone.map(key => ({ type: 'del' as const, key })))
    this.log('seeding %d completed downloads (%d no longer on disk)', this.byId.size, gone.length)
  }

  /** Adds a completed download at `path`, verified against `manifest`. */
  async add (contentId: string, path: string, manifest: Manifest): Promise<void> {
    const info = await stat(path)
    const record: DownloadedFileRecord = { path, size: info.size, mtimeMs: info.mtimeMs, manifest: Buffer.from(encodeManifest(manifest)).toString('base64') }
    await this.section.put(contentId, record)
    this.remember(contentId, record)
  }

  /** Drops a download found gone or changed while it was served (its path must match); false when it is not here. */
  async forgetUnavailable (contentId: string, path: string): Promise<boolean> {
    if (this.byId.get(contentId)?.path !== path) {
      return false
    }
    this.byId.delete(contentId)
    await this.section.del(contentId)
    this.log('no longer seeding %s: it is gone or changed since it was downloaded', path)
    return true
  }

  /** The download with this content id, with its manifest bytes. */
  get (contentId: string): IndexedSharedFile | undefined {
    return this.byId.get(contentId)
  }

  /** Every kept download. */
  list (): IndexedSharedFile[] {
    return [...this.byId.values()]
  }

  private remember (contentId: string, record: DownloadedFileRecord): void {
    const name = basename(record.path)
    this.byId.set(contentId, {
      id: contentId,
      name,
      // Not below the shared folder: the absolute path says where it is.
      relativePath: record.path,
      path: record.path,
      size: record.size,
      mtimeMs: record.mtimeMs,
      type: fileKindOf(name),
      manifestBytes: Buffer.from(record.manifest, 'base64')
    })
  }
}
