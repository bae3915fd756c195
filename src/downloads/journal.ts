import type { Bitfield } from './bitfield.ts'
import type { PartFile } from './part-file.ts'
import type { DownloadRecord, DownloadRecords } from './records.ts'
import type { DownloadTunables } from './types.ts'

/** What a {@link DownloadJournal} writes to. */
export interface DownloadJournalInit {
  records: DownloadRecords
  record: DownloadRecord
  tunables: Pick<DownloadTunables, 'persistIntervalMs' | 'persistEveryPieces'>
  /** A background flush failed (the disk is full, say): the download must stop. */
  onError: (err: Error) => void
}

/**
 * Keeps one download's record in the store. Verified pieces are recorded only
 * after their bytes are flushed to the disk, in batches (every
 * `persistEveryPieces` pieces or `persistIntervalMs`), so a kill -9 can lose a
 * little work but never marks a piece done that is not on the disk. Every
 * write of the record goes through one chain, so an older state never lands
 * after a newer one.
 */
export class DownloadJournal {
  readonly record: DownloadRecord
  private readonly init: DownloadJournalInit
  private chain: Promise<void> = Promise.resolve()
  private part?: PartFile
  private persisted?: Bitfield
  private pending: number[] = []
  private timer?: ReturnType<typeof setTimeout>

  constructor (init: DownloadJournalInit) {
    this.init = init
    this.record = init.record
  }

  /** Writes the record as it is now (after what is already queued). */
  async save (): Promise<void> {
    const snapshot = { ...this.record }
    return this.enqueue(async () => { await this.init.records.put(snapshot) })
  }

  /** From now on, pieces are flushed through `part` and recorded in `persisted`. */
  track (part: PartFile, persisted: Bitfield): void {
    this.part = part
    this.persisted = persisted
    this.pending = []
  }

  /** A verified piece was written: it is recorded with the next flush. */
  add (index: number): void {
    this.pending.push(index)
    if (this.pending.length >= this.init.tunables.persistEveryPieces) {
      this.flush().catch(this.init.onError)
    } else {
      this.timer ??= setTimeout(() => { this.flush().catch(this.init.onError) }, this.init.tunables.persistIntervalMs)
    }
  }

  /** Flushes written pieces to the disk, then records them. */
  async flush (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    return this.enqueue(async () => {
      const part = this.part
      const persisted = this.persisted
      // Only pieces whose write finished are pending, so the sync covers them all.
      const batch = this.pending.splice(0)
      if (part == null || persisted == null || batch.length === 0) {
        return
      }
      await part.sync()
      for (const index of batch) {
        persisted.set(index)
      }
      this.record.pieces = persisted.toBase64()
      await this.init.records.put({ ...this.record })
    })
  }

  /** Stops the timer and waits for the queued writes. */
  async close (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.chain.catch(() => {})
  }

  private async enqueue (write: () => Promise<void>): Promise<void> {
    const next = this.chain.then(write)
    // A failed write must not block the ones after it; the caller still sees its error.
    this.chain = next.catch(() => {})
    return next
  }
}
