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
  /** `cancelled` only between a cancel's first step and its last, so a crash in between finishes the cancel. */
  status: 'active' | 'paused' | 'interrupted' | 'failed' | 'cancelled'
  error?: string
  /** When the download was first asked for (ms since epoch); absent in records older than this field. */
  addedAt?: number
  /** The providers the user allowed (`from`); absent means any. */
  from?: string[]
  /** The final name being taken: set before the link, so a crash in between is recognised. */
  finalPath?: string
}

// The manifest (up to 2 MiB) lives under its own key, written once, so that
// recording progress every 250 ms rewrites only the small record.
const RECORD = 'record/'
const MANIFEST = 'manifest/'
// Finished downloads, keyed by when they finished so the store lists them oldest first.
const HISTORY = 'history/'

/** A finished download (completed or cancelled) as the history keeps it. */
export interface HistoryRecord {
  contentId: string
  name: string
  size: number
  received: number
  status: 'completed' | 'cancelled'
  path?: string
  finishedAt: number
}

/** Reads and writes download records and their manifests in the store's `downloads` section. */
export class DownloadRecords {
  private readonly section: Section<unknown>

  constructor (section: Section<unknown>) {
    this.section = section
  }

  /** Saves a record. */
  async put (record: DownloadRecord): Promise<void> {
    await this.section.put(RECORD + record.contentId, record)
  }

  /** Saves a verified manifest for a content id. */
  async putManifest (contentId: string, manifest: Manifest): Promise<void> {
    await this.section.put(MANIFEST + contentId, Buffer.from(encodeManifest(manifest)).toString('base64'))
  }

  /** A saved record, or undefined when there is none or it is malformed. */
  async get (contentId: string): Promise<DownloadRecord | undefined> {
    return parseRecord(await this.section.get(RECORD + contentId))
  }

  /** The saved manifest, checked against its id again; undefined when missing or damaged. */
  async getManifest (contentId: string): Promise<Manifest | undefined> {
    const value = await this.section.get(MANIFEST + contentId)
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
    for await (const value of this.section.values({ gte: RECORD, lt: RECORD.slice(0, -1) + '0' })) {
      const record = parseRecord(value)
      if (record != null) {
        records.push(record)
      }
    }
    return records
  }

  /** Saves a history entry. */
  async putHistory (entry: HistoryRecord): Promise<void> {
    await this.section.put(historyKey(entry), entry)
  }

  /** Every well-formed history entry, oldest first. */
  async history (): Promise<HistoryRecord[]> {
    const entries: HistoryRecord[] = []
    for await (const value of this.section.values({ gte: HISTORY, lt: HISTORY.slice(0, -1) + '0' })) {
      const entry = parseHistory(value)
      if (entry != null) {
        entries.push(entry)
      }
    }
    return entries
  }

  /** Forgets history entries. */
  async deleteHistory (entries: HistoryRecord[]): Promise<void> {
    await this.section.batch(entries.map(entry => ({ type: 'del' as const, key: historyKey(entry) })))
  }

  /** Forgets a download. */
  async delete (contentId: string): Promise<void> {
    await this.section.batch([
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

function historyKey (entry: HistoryRecord): string {
  return `${HISTORY}${String(entry.finishedAt).padStart(15, '0')}/${entry.contentId}`
}

function parseHistory (value: unknown): HistoryRecord | undefined {
  if (value == null || typeof value !== 'object') {
    return undefined
  }
  const entry = value as Partial<HistoryRecord>
  const valid = typeof entry.contentId === 'string' && CONTENT_ID.test(entry.contentId) && typeof entry.name === 'string' &&
    Number.isSafeInteger(entry.size) && Number.isSafeInteger(entry.received) && Number.isSafeInteger(entry.finishedAt) &&
    (entry.status === 'completed' || entry.status === 'cancelled') && (entry.path == null || typeof entry.path === 'string')
  return valid ? entry as HistoryRecord : undefined
}

const RECORD_STATUSES = new Set(['active', 'paused', 'interrupted', 'failed', 'cancelled'])

function parseRecord (value: unknown): DownloadRecord | undefined {
  if (value == null || typeof value !== 'object') {
    return undefined
  }
  const record = value as Partial<DownloadRecord>
  const valid = typeof record.contentId === 'string' && CONTENT_ID.test(record.contentId) &&
    typeof record.name === 'string' && typeof record.partPath === 'string' &&
    Number.isSafeInteger(record.size) && Number.isSafeInteger(record.pieceSize) && Number.isSafeInteger(record.pieceCount) &&
    typeof record.pieces === 'string' &&
    RECORD_STATUSES.has(record.status as string)
  return valid ? record as DownloadRecord : undefined
}
