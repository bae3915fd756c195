import { unlink } from 'node:fs/promises'
import { errorCode } from './errors.ts'
import type { DownloadRecord, DownloadRecords } from './records.ts'

/**
 * Deletes a cancelled download: its part file, then its record and manifest.
 * The record is first saved as `cancelled`, so a crash half-way is finished
 * at the next start instead of resuming a download the user cancelled.
 */
export async function discardDownload (records: DownloadRecords, record: DownloadRecord): Promise<void> {
  record.status = 'cancelled'
  await records.put({ ...record })
  if (record.partPath !== '') {
    await unlink(record.partPath).catch((err: unknown) => {
      if (errorCode(err) !== 'ENOENT') {
        throw err
      }
    })
  }
  await records.delete(record.contentId)
}
