/**
 * Discovered files are persisted as a log of segments: each LevelDB value
 * holds the records of up to ten thousand files (what one ingest or age-out
 * batch changed), instead of one value per file. A LevelDB put cost ~5–10 µs
 * a file in CPU (the write, the write-ahead log, compaction); a segment costs
 * that once. Replaying the segments in order gives the files: a later entry
 * for a content id replaces the earlier one, a removal entry deletes it. The
 * log is rewritten whole (see IndexPersistence.rewrite) once it holds far
 * more entries than there are files.
 *
 * Layout (little-endian): u8 SEGMENT_FORMAT · u32 entries · per entry:
 * 32-byte content id · u32 record length (0: the file was removed) · the
 * record (see record-codec.ts).
 */
import { ByteWriter, decodeRecord } from './record-codec.ts'
import type { DiscoveredFileRecord } from '../discovered-files.ts'
import type { FileTable } from './file-table.ts'
import type { RecordEncoder } from './record-codec.ts'

/** The first byte of a segment: its format version. */
export const SEGMENT_FORMAT = 1
const ID_BYTES = 32
const HEADER_BYTES = 5

/** A segment being written: the files' records as they are when added. */
export class SegmentWriter {
  private readonly out: ByteWriter
  private readonly encoder: RecordEncoder
  private count = 0

  /** `out`: a writer to reuse (a written segment's), emptied first; a new one when not given. */
  constructor (encoder: RecordEncoder, out = new ByteWriter()) {
    this.encoder = encoder
    this.out = out
    this.out.used = 0
    this.out.reserve(HEADER_BYTES)
    this.out.used = HEADER_BYTES
  }

  /** Entries so far. */
  get entries (): number {
    return this.count
  }

  /** The writer holding the segment's bytes, for the next segment once this one is written. */
  get writer (): ByteWriter {
    return this.out
  }

  /** Adds the record of a file of `table` as it is now. */
  put (table: FileTable, ordinal: number): void {
    this.out.reserve(ID_BYTES)
    table.ids.copyId(ordinal, this.out.bytes, this.out.used)
    const lengthAt = this.entry()
    // Encode first: it may move the bytes to a bigger buffer.
    const length = this.encoder.encodeInto(table, ordinal, this.out)
    this.out.bytes.writeUInt32LE(length, lengthAt)
  }

  /** Adds the removal of a file, by its 64-hex-digit content id. */
  remove (id: string): void {
    this.out.reserve(ID_BYTES)
    this.out.bytes.write(id, this.out.used, ID_BYTES, 'hex')
    const lengthAt = this.entry()
    this.out.bytes.writeUInt32LE(0, lengthAt)
  }

  /** The segment's bytes (a view: add nothing after). */
  bytes (): Buffer {
    const { bytes } = this.out
    bytes.writeUInt8(SEGMENT_FORMAT, 0)
    bytes.writeUInt32LE(this.count, 1)
    return this.out.written()
  }

  /** Counts an entry whose id was just written, and makes room for its length; returns where the length goes. */
  private entry (): number {
    this.out.used += ID_BYTES
    this.out.reserve(4)
    const at = this.out.used
    this.out.used += 4
    this.count++
    return at
  }
}

/**
 * Calls `visit` with each entry of a segment in order: the content id, and
 * the record (undefined for a removal). Returns false, having visited only
 * the entries before it, when the segment is damaged: an unknown format, a
 * length past its end, or a record that does not decode.
 */
export function readSegment (value: Uint8Array, visit: (id: string, record: DiscoveredFileRecord | undefined) => void): boolean {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (bytes.byteLength < HEADER_BYTES || bytes[0] !== SEGMENT_FORMAT) {
    return false
  }
  const count = bytes.readUInt32LE(1)
  let at = HEADER_BYTES
  for (let entry = 0; entry < count; entry++) {
    if (at + ID_BYTES + 4 > bytes.byteLength) {
      return false
    }
    const id = bytes.toString('hex', at, at + ID_BYTES)
    const length = bytes.readUInt32LE(at + ID_BYTES)
    at += ID_BYTES + 4
    if (length === 0) {
      visit(id, undefined)
      continue
    }
    const record = at + length <= bytes.byteLength ? decodeRecord(bytes.subarray(at, at + length)) : undefined
    if (record === undefined) {
      return false
    }
    visit(id, record)
    at += length
  }
  return at === bytes.byteLength
}

/** How many entries a segment says it holds (0 for one too short or of an unknown format). */
export function segmentEntries (value: Uint8Array): number {
  return value.byteLength < HEADER_BYTES || value[0] !== SEGMENT_FORMAT ? 0 : Buffer.from(value.buffer, value.byteOffset, value.byteLength).readUInt32LE(1)
}

// Segments handed to LevelDB and not yet written while the next is encoded: two, so the next write is queued the moment one ends.
const MAX_IN_FLIGHT = 2

/**
 * Fills segments of up to `entriesPerSegment` entries and appends each once
 * full, encoding the next while LevelDB writes the last ones (its writes run
 * on its own threads): at most MAX_IN_FLIGHT segments waiting, so memory
 * stays bounded when the disk is slower than the encoding. Call
 * {@link rotate} when {@link full}, and {@link finish} at the end: it
 * resolves once every segment is written.
 */
export class SegmentAppender {
  private readonly encoder: RecordEncoder
  private readonly append: (segment: SegmentWriter) => Promise<void>
  private readonly entriesPerSegment: number
  private segment: SegmentWriter
  /** Segments being written, oldest first. */
  private readonly inFlight: Array<{ segment: SegmentWriter, written: Promise<void> }> = []

  constructor (encoder: RecordEncoder, append: (segment: SegmentWriter) => Promise<void>, entriesPerSegment: number) {
    this.encoder = encoder
    this.append = append
    this.entriesPerSegment = entriesPerSegment
    this.segment = new SegmentWriter(encoder)
  }

  /** Whether the current segment should be handed over ({@link rotate}). */
  get full (): boolean {
    return this.segment.entries >= this.entriesPerSegment
  }

  /** Adds the record of a file of `table` as it is now. */
  put (table: FileTable, ordinal: number): void {
    this.segment.put(table, ordinal)
  }

  /** Adds the removal of a file, by its content id. */
  remove (id: string): void {
    this.segment.remove(id)
  }

  /** Hands the current segment to LevelDB, waits while too many are in flight, and begins a new one. */
  async rotate (): Promise<void> {
    // Queued before any wait: another ingest may change these files while this one waits, and its
    // segment must come after this one in the log, or a restart would replay the older state last.
    this.send()
    const oldest = this.inFlight.length > MAX_IN_FLIGHT ? this.inFlight.shift() : undefined
    await oldest?.written
    // Buffers in turn: a megabyte-sized buffer per segment was external memory
    // growth, which makes V8 mark the whole heap again and again.
    this.segment = new SegmentWriter(this.encoder, oldest?.segment.writer)
  }

  /** Writes what is left; resolves once every segment is written (add nothing after). */
  async finish (): Promise<void> {
    this.send()
    for (const { written } of this.inFlight.splice(0)) {
      await written
    }
  }

  private send (): void {
    const written = this.append(this.segment)
    // Awaited later, in order: until then a failure must not count as unhandled (it is thrown by that await).
    written.catch(() => {})
    this.inFlight.push({ segment: this.segment, written })
  }
}
