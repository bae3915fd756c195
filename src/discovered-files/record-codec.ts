/**
 * The LevelDB value of a discovered file, in binary: JSON cost a string and
 * an object tree per file on every write and read, most of it the same
 * provider written again for each of its files. Layout (little-endian):
 *
 *   u8 RECORD_FORMAT · f64 size · u32 name bytes · name (UTF-8) · u16 providers ·
 *   per provider: f64 lastSeen · u8 peer id bytes · peer id (ASCII) ·
 *   u16 addresses · per address: u16 bytes · address (ASCII)
 *
 * Stores written before this format hold JSON records (`{"name":…}`), which
 * start with `{` and never with RECORD_FORMAT: {@link decodeRecord} reads both,
 * so an upgrade keeps every discovered file, and each is rewritten in binary
 * the next time it changes.
 */
import type { DiscoveredFileRecord, Provider } from '../discovered-files.ts'
import type { FileTable, TablePeer } from './file-table.ts'

/** The first byte of a binary record: its format version. */
export const RECORD_FORMAT = 1
const JSON_OPEN_BRACE = 0x7b
// Room for a few hundred typical records before the first growth.
const INITIAL_BYTES = 64 * 1024

/** A buffer written front to back that grows (by doubling) when full. */
export class ByteWriter {
  bytes: Buffer
  used = 0

  constructor (length = INITIAL_BYTES) {
    this.bytes = Buffer.allocUnsafe(Math.max(length, 64))
  }

  /** Makes room for `length` more bytes at `used`. */
  reserve (length: number): void {
    if (this.used + length > this.bytes.byteLength) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.byteLength * 2, this.used + length))
      this.bytes.copy(bigger, 0, 0, this.used)
      this.bytes = bigger
    }
  }

  /** The bytes written so far. */
  written (): Buffer {
    return this.bytes.subarray(0, this.used)
  }
}

/**
 * Encodes files' records straight from the table into a {@link ByteWriter}:
 * no string or object per file. Each peer's id and addresses are encoded
 * once and copied after.
 */
export class RecordEncoder {
  /** By peer number (never reused): the encoded peer, and the address array it was encoded from. */
  private readonly peerBytes: Array<{ addresses: string[], bytes: Buffer } | undefined> = []

  /** Appends the record of a file of `table` as it is now (its providers whose peer is still known); returns its length. */
  encodeInto (table: FileTable, ordinal: number, out: ByteWriter): number {
    const links = table.linkCount(ordinal)
    let needed = 1 + 8 + 4 + table.nameByteLength(ordinal) + 2
    let known = 0
    for (let link = 0; link < links; link++) {
      const number = table.linkPeer(ordinal, link)
      const peer = table.peer(number)
      if (peer !== undefined) {
        needed += 8 + this.peerSegment(number, peer).byteLength
        known++
      }
    }
    out.reserve(needed)
    const { bytes } = out
    const start = out.used
    let at = bytes.writeUInt8(RECORD_FORMAT, start)
    at = bytes.writeDoubleLE(table.fileSize(ordinal), at)
    const nameLength = table.copyName(ordinal, bytes, at + 4)
    at = bytes.writeUInt32LE(nameLength, at) + nameLength
    at = bytes.writeUInt16LE(known, at)
    for (let link = 0; link < links; link++) {
      const number = table.linkPeer(ordinal, link)
      const peer = table.peer(number)
      if (peer !== undefined) {
        at = bytes.writeDoubleLE(table.linkSeen(ordinal, link), at)
        at += this.peerSegment(number, peer).copy(bytes, at)
      }
    }
    out.used = at
    return at - start
  }

  /** The record of a file on its own (a copy). */
  encode (table: FileTable, ordinal: number): Buffer {
    const out = new ByteWriter(256)
    this.encodeInto(table, ordinal, out)
    return Buffer.from(out.written())
  }

  private peerSegment (number: number, peer: TablePeer): Buffer {
    const cached = this.peerBytes[number]
    if (cached?.addresses === peer.addresses) {
      return cached.bytes
    }
    // Peer ids and addresses are checked ASCII (see sanitize.ts) and bounded: 128 and 512 characters.
    let length = 1 + peer.peerId.length + 2
    for (const address of peer.addresses) {
      length += 2 + address.length
    }
    const bytes = Buffer.allocUnsafe(length)
    let at = bytes.writeUInt8(peer.peerId.length, 0)
    at += bytes.write(peer.peerId, at, 'latin1')
    at = bytes.writeUInt16LE(peer.addresses.length, at)
    for (const address of peer.addresses) {
      at = bytes.writeUInt16LE(address.length, at)
      at += bytes.write(address, at, 'latin1')
    }
    this.peerBytes[number] = { addresses: peer.addresses, bytes }
    return bytes
  }
}

/**
 * A record as stored, binary or (from a store written before the binary
 * format) JSON; undefined when it is neither or does not hold together
 * (every length is checked against the bytes: a damaged value is skipped,
 * never read past its end).
 */
export function decodeRecord (value: Uint8Array): DiscoveredFileRecord | undefined {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  if (bytes[0] === JSON_OPEN_BRACE) {
    try {
      return JSON.parse(bytes.toString('utf8'))
    } catch {
      return undefined
    }
  }
  if (bytes[0] !== RECORD_FORMAT) {
    return undefined
  }
  const reader = new Reader(bytes, 1)
  const size = reader.double()
  const name = reader.text(reader.u32(), 'utf8')
  const providers: Provider[] = []
  for (let count = reader.u16(); count > 0 && reader.ok; count--) {
    const lastSeen = reader.double()
    const peerId = reader.text(reader.u8(), 'latin1')
    const addresses: string[] = []
    for (let addressCount = reader.u16(); addressCount > 0 && reader.ok; addressCount--) {
      addresses.push(reader.text(reader.u16(), 'latin1'))
    }
    providers.push({ peerId, addresses, lastSeen })
  }
  return reader.ok && reader.at === bytes.byteLength ? { name, size, providers } : undefined
}

/** Reads fields off a record, turning `ok` false instead of reading past the end. */
class Reader {
  ok = true
  at: number
  private readonly bytes: Buffer

  constructor (bytes: Buffer, at: number) {
    this.bytes = bytes
    this.at = at
  }

  u8 (): number {
    return this.take(1) ? this.bytes[this.at - 1] : 0
  }

  u16 (): number {
    return this.take(2) ? this.bytes.readUInt16LE(this.at - 2) : 0
  }

  u32 (): number {
    return this.take(4) ? this.bytes.readUInt32LE(this.at - 4) : 0
  }

  double (): number {
    return this.take(8) ? this.bytes.readDoubleLE(this.at - 8) : 0
  }

  text (length: number, encoding: 'utf8' | 'latin1'): string {
    return this.take(length) ? this.bytes.toString(encoding, this.at - length, this.at) : ''
  }

  private take (length: number): boolean {
    this.ok &&= this.at + length <= this.bytes.byteLength
    if (this.ok) {
      this.at += length
    }
    return this.ok
  }
}
