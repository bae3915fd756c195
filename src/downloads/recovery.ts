import { unlink } from 'node:fs/promises'
import { hashFile } from '../../protocols/file/manifest.ts'
import { exists, sameFile } from './part-file.ts'
import type { Manifest } from '../../protocols/file/manifest.ts'
import type { DownloadRecord } from './records.ts'

/**
 * The final path of a download already published before a crash, if it was. Publishing sets
 * `finalPath` in the record before the link, so a crash between the link and
 * forgetting the record leaves it set; the download is done if the final file
 * is the part file (a hard link: the part is then removed) or, the part gone,
 * hashes to the content id. Otherwise `finalPath` is cleared and the download
 * goes on.
 */
export async function publishedPath (record: DownloadRecord, manifest: Manifest): Promise<string | undefined> {
  const finalPath = record.finalPath
  if (finalPath == null) {
    return undefined
  }
  delete record.finalPath
  if (await sameFile(record.partPath, finalPath)) {
    await unlink(record.partPath)
    return finalPath
  }
  if (record.partPath !== '' && await exists(record.partPath)) {
    return undefined
  }
  const hashed = await hashFile(finalPath, { pieceSize: manifest.pieceSize }).catch(() => undefined)
  return hashed?.contentId === record.contentId ? finalPath : undefined
}
