/**
 * The originator's view of a fetch: record frames merged per provider, as
 * docs/protocols.md ("At the originator") specifies.
 */
import type { ProviderRecord } from './index.ts'

/**
 * Merges provider records by peer id: addresses united, files deduplicated
 * by content id, `hops` the smallest seen. Keeps at most `maxFiles` files in
 * all, so a network that answers too much costs bounded memory.
 */
export class RecordMerger {
  private readonly maxFiles: number
  private readonly providers = new Map<string, { record: ProviderRecord, fileIds: Set<string> }>()
  private readonly contentIds = new Set<string>()
  private fileCount = 0

  constructor (maxFiles: number) {
    this.maxFiles = maxFiles
  }

  /** Files kept so far, over every provider. */
  get files (): number {
    return this.fileCount
  }

  /** Distinct content ids kept so far (a file two providers share counts once). */
  get distinctFiles (): number {
    return this.contentIds.size
  }

  /** Distinct providers merged so far. */
  get size (): number {
    return this.providers.size
  }

  /** Merges one record frame; false when the file limit was reached (the rest of the frame is left out). */
  add (record: ProviderRecord): boolean {
    let merged = this.providers.get(record.peerId)
    if (merged == null) {
      merged = { record: { peerId: record.peerId, addresses: [], files: [], hops: record.hops }, fileIds: new Set() }
      this.providers.set(record.peerId, merged)
    }
    merged.record.hops = Math.min(merged.record.hops, record.hops)
    merged.record.addresses = [...new Set([...merged.record.addresses, ...record.addresses])]
    for (const file of record.files) {
      if (merged.fileIds.has(file.id)) {
        continue
      }
      if (this.fileCount >= this.maxFiles) {
        return false
      }
      merged.fileIds.add(file.id)
      this.contentIds.add(file.id)
      merged.record.files.push(file)
      this.fileCount++
    }
    return true
  }

  /** One record per provider, in the order they first answered. */
  records (): ProviderRecord[] {
    return [...this.providers.values()].map(merged => merged.record)
  }
}
