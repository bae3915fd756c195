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
// Room for a few hundred typical records; a larger one gets a buffer of its own size.
const INITIAL_BYTES = 64 * 1024

/**
 * Encodes records back to back into one growing buffer, so a batch of ten
 * thousand files costs a few allocations instead of ten thousand strings;
 * each peer's id and addresses are encoded once and copied after.
 */
export class RecordEncoder {
  private bytes = Buffer.allocUnsafe(INITIAL_BYTES)
  private used = 0
  private readonly peerBytes = new WeakMap<TablePeer, { addresses: string[], bytes: Buffer }>()

  /** The record of a file of `table` as it is now (its providers whose peer is still known). */
  encode (table: FileTable, ordinal: number): Buffer {
    const links = table.linkCount(ordinal)
    let needed = 1 + 8 + 4 + table.nameByteLength(ordinal) + 2
    const peers: Buffer[] = []
    for (let link = 0; link < links; link++) {
      const peer = table.peer(table.linkPeer(ordinal, link))
      if (peer !== undefined) {
        const bytes = this.peerSegment(peer)
        peers.push(bytes)
        needed += 8 + bytes.byteLength
      }
    }
    const start = this.reserve(needed)
    let at = start
    at = this.bytes.writeUInt8(RECORD_FORMAT, at)
    at = this.bytes.writeDoubleLE(table.fileSize(ordinal), at)
    const nameLength = table.copyName(ordinal, this.bytes, at + 4)
    at = this.bytes.writeUInt32LE(nameLength, at) + nameLength
    at = this.bytes.writeUInt16LE(peers.length, at)
    let known = 0
    for (let link = 0; link < links; link++) {
      if (table.peer(table.linkPeer(ordinal, link)) !== undefined) {
        at = this.bytes.writeDoubleLE(table.linkSeen(ordinal, link), at)
        at += peers[known++].copy(this.bytes, at)
      }
    }
    this.used = at
    return this.bytes.subarray(start, at)
  }

  /** Makes room for `length` more bytes; a full buffer is left to the records that view it. */
  private reserve (length: number): number {
    if (this.used + length > this.bytes.byteLength) {
      this.bytes = Buffer.allocUnsafe(Math.max(INITIAL_BYTES, length))
      this.used = 0
    }
    return this.used
  }

  private peerSegment (peer: TablePeer): Buffer {
    const cached = this.peerBytes.get(peer)
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
    this.peerBytes.set(peer, { addresses: peer.addresses, bytes })
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
