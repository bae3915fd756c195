import { compileQuery } from '../search/index.ts'
import type { FetchQuery, SharedFileEntry } from '../../protocols/fetch/index.ts'
import type { IndexedSharedFile, SharedFile, SharedIndex } from '../shared-index.ts'
import type { DownloadedFiles } from './downloaded.ts'

/**
 * What the node serves: the shared folder's index, and (with
 * `share_downloads`) its completed downloads. The fetch answers, the file
 * server and `list shared` all ask here, so switching seeding off takes
 * effect for all three at once.
 */
export class SharedSources {
  readonly index: SharedIndex
  readonly downloaded: DownloadedFiles
  /** Whether completed downloads are served. */
  shareDownloads: boolean

  constructor (index: SharedIndex, downloaded: DownloadedFiles, shareDownloads: boolean) {
    this.index = index
    this.downloaded = downloaded
    this.shareDownloads = shareDownloads
  }

  /** The file with this content id, from the shared folder first. */
  get (contentId: string): IndexedSharedFile | undefined {
    return this.index.get(contentId) ?? (this.shareDownloads ? this.downloaded.get(contentId) : undefined)
  }

  /** Drops a file found gone or changed while served, from whichever source served it. */
  async forgetUnavailable (contentId: string, path: string): Promise<boolean> {
    return await this.index.forgetUnavailable(contentId, path) || await this.downloaded.forgetUnavailable(contentId, path)
  }

  /** The files matching a fetch query (all when none), one entry per content id. */
  match (query?: FetchQuery): SharedFileEntry[] {
    const entries = this.index.match(query)
    if (!this.shareDownloads) {
      return entries
    }
    const ids = new Set(entries.map(entry => entry.id))
    const compiled = compileQuery(query)
    for (const file of this.downloaded.list()) {
      if (!ids.has(file.id) && compiled.matches(file.name)) {
        entries.push({ id: file.id, name: file.name, size: file.size, type: file.type })
      }
    }
    return entries
  }

  /** Every file served: the shared folder's, then the completed downloads not also in it. */
  list (): SharedFile[] {
    const files = this.index.list()
    if (!this.shareDownloads) {
      return files
    }
    const ids = new Set(files.map(file => file.id))
    for (const { manifestBytes: _manifestBytes, ...file } of this.downloaded.list()) {
      if (!ids.has(file.id)) {
        files.push(file)
      }
    }
    return files
  }

  /** How many files are served. */
  get size (): number {
    if (!this.shareDownloads) {
      return this.index.size
    }
    return this.index.size + this.downloaded.list().filter(file => this.index.get(file.id) == null).length
  }
}
