/**
 * The snapshot file of the discovered-file index: the in-memory columns as a
 * few large binary blocks, so a reopen reads ~150 MB sequentially instead of
 * a million LevelDB records. LevelDB stays the source of truth; a snapshot
 * is used only when its token equals the one LevelDB holds (see
 * DiscoveredFiles), and anything wrong with it here means "rebuild instead".
 *
 * Layout (numbers little- or big-endian as the writer's CPU, recorded in the
 * header; a reader on the other kind rebuilds):
 *   0  "PEERITDF"               magic, 8 bytes
 *   8  u32 version              {@link SNAPSHOT_VERSION}
 *   12 u32 header length        H
 *   16 u32 CRC-32 of the header
 *   20 u32 0
 *   24 header                   H bytes of JSON: token, endianness, meta, blocks [{ name, offset, length, crc }]
 *   …  blocks                   each at an offset that is a multiple of 8, so typed arrays can view it
 */
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { endianness } from 'node:os'
import { dirname } from 'node:path'
import { crc32 } from 'node:zlib'
import type { FileHandle } from 'node:fs/promises'

/** The snapshot format's version: a file with another one is not used. */
export const SNAPSHOT_VERSION = 1
const MAGIC = Buffer.from('PEERITDF', 'latin1')
const PREAMBLE_BYTES = 24
// A header holds the peers and extensions (thousands of entries at most); more is not ours.
const MAX_HEADER_BYTES = 64 * 2 ** 20

/** What a snapshot holds: JSON-able metadata and named binary blocks. */
export interface SnapshotContents {
  meta: unknown
  blocks: Record<string, ArrayBufferView>
}

/** A snapshot as read back: each block in a buffer of its own (so one can grow without pinning the others). */
export interface LoadedSnapshot {
  token: string
  meta: unknown
  blocks: Map<string, Buffer>
}

/** The snapshot cannot be used: missing, truncated, corrupt, foreign or of another version. */
export class SnapshotUnusableError extends Error {
  static readonly code = 'ERR_SNAPSHOT_UNUSABLE'
  readonly code = SnapshotUnusableError.code
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SnapshotUnusableError'
  }
}

interface BlockEntry {
  name: string
  offset: number
  length: number
  crc: number
}

/** A fresh token naming one snapshot: LevelDB keeps the token of the snapshot it agrees with. */
export function snapshotToken (): string {
  return randomBytes(16).toString('hex')
}

/**
 * Writes a snapshot atomically: to `<path>.tmp`, fsync'ed, renamed over
 * `path`, then the folder fsync'ed. A crash at any point leaves the old file
 * or the new one whole, never a mix (and the token check catches the rest).
 */
export async function writeSnapshot (path: string, token: string, contents: SnapshotContents): Promise<void> {
  const entries: BlockEntry[] = []
  const views: Uint8Array[] = []
  let offset = 0
  for (const [name, block] of Object.entries(contents.blocks)) {
    const bytes = new Uint8Array(block.buffer, block.byteOffset, block.byteLength)
    entries.push({ name, offset, length: bytes.byteLength, crc: crc32(bytes) })
    views.push(bytes)
    offset = align8(offset + bytes.byteLength)
  }
  const header = Buffer.from(JSON.stringify({ token, endianness: endianness(), meta: contents.meta, blocks: entries }))
  const preamble = Buffer.alloc(PREAMBLE_BYTES)
  MAGIC.copy(preamble, 0)
  preamble.writeUInt32LE(SNAPSHOT_VERSION, 8)
  preamble.writeUInt32LE(header.byteLength, 12)
  preamble.writeUInt32LE(crc32(header), 16)
  const base = align8(PREAMBLE_BYTES + header.byteLength)
  const temporary = `${path}.tmp`
  const handle = await open(temporary, 'w', 0o600)
  try {
    await writeFully(handle, preamble, 0)
    await writeFully(handle, header, PREAMBLE_BYTES)
    for (const [index, entry] of entries.entries()) {
      await writeFully(handle, views[index], base + entry.offset)
    }
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(temporary, { force: true })
    throw err
  }
  await handle.close()
  await rename(temporary, path)
  await syncFolder(dirname(path))
}

/** Reads and checks a whole snapshot; throws {@link SnapshotUnusableError} when it cannot be used. */
export async function readSnapshot (path: string): Promise<LoadedSnapshot> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (err: any) {
    throw new SnapshotUnusableError(`no snapshot: ${err.code ?? err.message}`, { cause: err })
  }
  try {
    const { size } = await handle.stat()
    const preamble = await readExactly(handle, 0, PREAMBLE_BYTES, size)
    if (!preamble.subarray(0, 8).equals(MAGIC) || preamble.readUInt32LE(8) !== SNAPSHOT_VERSION) {
      throw new SnapshotUnusableError('not a snapshot of this version')
    }
    const headerLength = preamble.readUInt32LE(12)
    if (headerLength > MAX_HEADER_BYTES) {
      throw new SnapshotUnusableError('snapshot header too long')
    }
    const headerBytes = await readExactly(handle, PREAMBLE_BYTES, headerLength, size)
    if (crc32(headerBytes) !== preamble.readUInt32LE(16)) {
      throw new SnapshotUnusableError('snapshot header checksum mismatch')
    }
    const header = parseHeader(headerBytes)
    const base = align8(PREAMBLE_BYTES + headerLength)
    const blocks = new Map<string, Buffer>()
    for (const entry of header.blocks) {
      const bytes = await readExactly(handle, base + entry.offset, entry.length, size)
      if (crc32(bytes) !== entry.crc) {
        throw new SnapshotUnusableError(`snapshot block ${entry.name} checksum mismatch`)
      }
      blocks.set(entry.name, bytes)
    }
    return { token: header.token, meta: header.meta, blocks }
  } finally {
    await handle.close()
  }
}

/** A typed-array view of a block read back; throws when its length does not divide into elements. */
export function blockView<T extends ArrayBufferView> (
  bytes: Buffer | undefined,
  Type: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T, BYTES_PER_ELEMENT: number }
): T {
  if (bytes === undefined || bytes.byteLength % Type.BYTES_PER_ELEMENT !== 0 || bytes.byteOffset % Type.BYTES_PER_ELEMENT !== 0) {
    throw new SnapshotUnusableError('snapshot block missing or misshapen')
  }
  return new Type(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT)
}

/** The blocks whose names start with `prefix`, under the rest of their names: one part's blocks out of a whole snapshot. */
export function blocksUnder (blocks: Map<string, Buffer>, prefix: string): Map<string, Buffer> {
  return new Map([...blocks].flatMap(([name, bytes]) => name.startsWith(prefix) ? [[name.slice(prefix.length), bytes]] : []))
}

function parseHeader (bytes: Buffer): { token: string, meta: unknown, blocks: BlockEntry[] } {
  let header: any
  try {
    header = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new SnapshotUnusableError('snapshot header is not JSON', { cause: err })
  }
  if (typeof header?.token !== 'string' || !Array.isArray(header.blocks)) {
    throw new SnapshotUnusableError('snapshot header incomplete')
  }
  if (header.endianness !== endianness()) {
    throw new SnapshotUnusableError('snapshot written on a CPU of the other byte order')
  }
  for (const entry of header.blocks) {
    if (typeof entry?.name !== 'string' || !Number.isSafeInteger(entry.offset) || !Number.isSafeInteger(entry.length) ||
      entry.offset < 0 || entry.length < 0 || entry.offset % 8 !== 0 || !Number.isInteger(entry.crc)) {
      throw new SnapshotUnusableError('snapshot block entry malformed')
    }
  }
  return header
}

async function readExactly (handle: FileHandle, position: number, length: number, size: number): Promise<Buffer> {
  if (position + length > size) {
    throw new SnapshotUnusableError('snapshot truncated')
  }
  // A buffer of its own (never the shared pool), 8-aligned for typed-array views.
  const bytes = Buffer.allocUnsafeSlow(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, position + done)
    if (bytesRead === 0) {
      throw new SnapshotUnusableError('snapshot truncated')
    }
    done += bytesRead
  }
  return bytes
}

async function writeFully (handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done)
    done += bytesWritten
  }
}

/** fsync of a folder, so a rename in it survives a power cut. */
async function syncFolder (path: string): Promise<void> {
  const folder = await open(path, 'r')
  try {
    await folder.sync()
  } finally {
    await folder.close()
  }
}

function align8 (value: number): number {
  return Math.ceil(value / 8) * 8
}
