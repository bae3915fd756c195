import { decodeManifestFor, encodeManifest } from '../../protocols/file/manifest.ts'
import { Bitfield } from './bitfield.ts'
import { CONTENT_ID } from './constants.ts'
import type { Manifest } from '../../protocols/file/manifest.ts'
import type { Section } from '../store.ts'

/** A download as it is kept in the store, so it can be resumed after a stop or a crash. */
export interface DownloadRecord {
  contentId: string
  /** The sanitised name the file gets when complete. */
  name: string
  /** File size, piece size and piece count: 0 until the manifest is known. */
  size: number
  pieceSize: number
  pieceCount: number
  /** Verified pieces that are on the disk (flushed), as a base64 {@link Bitfield}. */
  pieces: string
  partPath: string
  status: 'active' | 'interrupted' | 'failed'
  error?: string
  /** The providers the user allowed (`from`); absent means any. */
  from?: string[]
  /** The final name being taken: set before the link, so a crash in between is recognised. */
  finalPath?: string
}

// The manifest (up to 2 MiB) lives under its own key, written once, so that
// recording progress every 250 ms rewrites only the small record.
const RECORD = 'record/'
const MANIFEST = 'manifest/'

/** Reads and writes download records and their manifests in the store's `downloads` section. */
export class DownloadRecords {
  readonly #section: Section<unknown>

  constructor (section: Section<unknown>) {
    this.#section = section
  }

  /** Saves a record. */
  async put (record: DownloadRecord): Promise<void> {
    await this.#section.put(RECORD + record.contentId, record)
  }

  /** Saves a verified manifest for a content id. */
  async putManifest (contentId: string, manifest: Manifest): Promise<void> {
    await this.#section.put(MANIFEST + contentId, Buffer.from(encodeManifest(manifest)).toString('base64'))
  }

  /** A saved record, or undefined when there is none or it is malformed. */
  async get (contentId: string): Promise<DownloadRecord | undefined> {
    return parseRecord(await this.#section.get(RECORD + contentId))
  }

  /** The saved manifest, checked against its id again; undefined when missing or damaged. */
  async getManifest (contentId: string): Promise<Manifest | undefined> {
    const value = await this.#section.get(MANIFEST + contentId)
    if (typeof value !== 'string') {
      return undefined
    }
    try {
      return decodeManifestFor(contentId, Buffer.from(value, 'base64'))
    } catch {
      return undefined
    }
  }

  /** Every well-formed saved record. */
  async all (): Promise<DownloadRecord[]> {
    const records: DownloadRecord[] = []
    for await (const value of this.#section.values({ gte: RECORD, lt: RECORD.slice(0, -1) + '0' })) {
      const record = parseRecord(value)
      if (record != null) {
        records.push(record)
      }
    }
    return records
  }

  /** Forgets a download. */
  async delete (contentId: string): Promise<void> {
    await this.#section.batch([
      { type: 'del', key: RECORD + contentId },
      { type: 'del', key: MANIFEST + contentId }
    ])
  }
}

/** The recorded pieces of a download; none when the record's bitfield does not fit its piece count. */
export function recordPieces (record: DownloadRecord): Bitfield {
  try {
    return Bitfield.fromBase64(record.pieceCount, record.pieces)
  } catch {
    return new Bitfield(record.pieceCount)
  }
}

/** Bytes in the pieces set in `pieces` (the last piece may be short). */
export function piecesBytes (pieces: Bitfield, size: number, pieceSize: number): number {
  if (pieces.length === 0) {
    return 0
  }
  const last = pieces.length - 1
  const short = pieces.has(last) ? pieceSize * pieces.length - size : 0
  return pieces.count * pieceSize - short
}

function parseRecord (value: unknown): DownloadRecord | undefined {
  if (value == null || typeof value !== 'object') {
    return undefined
  }
  const record = value as Partial<DownloadRecord>
  const valid = typeof record.contentId === 'string' && CONTENT_ID.test(record.contentId) &&
    typeof record.name === 'string' && typeof record.partPath === 'string' &&
    Number.isSafeInteger(record.size) && Number.isSafeInteger(record.pieceSize) && Number.isSafeInteger(record.pieceCount) &&
    typeof record.pieces === 'string' &&
    (record.status === 'active' || record.status === 'interrupted' || record.status === 'failed')
  return valid ? record as DownloadRecord : undefined
}
