import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'

/**
 * A file's manifest: its size, its piece size and the SHA-256 of every piece.
 * The content id is the SHA-256 of the manifest's canonical bytes, so an id
 * commits to every piece (as a torrent's info-hash does) and any piece can be
 * verified the moment it arrives, from any peer.
 *
 * Canonical bytes (all integers big-endian):
 *
 * | offset | size | field                                  |
 * | ------ | ---- | -------------------------------------- |
 * | 0      | 1    | version, always 1                      |
 * | 1      | 8    | file size in bytes (≤ 2^53 − 1)        |
 * | 9      | 4    | piece size in bytes (power of two)     |
 * | 13     | 32×n | SHA-256 of each piece, n = ⌈size/piece⌉ |
 */
export interface Manifest {
  size: number
  pieceSize: number
  /** n × 32 bytes: the SHA-256 digest of piece i at [32i, 32i + 32). */
  pieceHashes: Uint8Array
}

export const MANIFEST_VERSION = 1
export const MANIFEST_HEADER_LENGTH = 13
export const HASH_LENGTH = 32
/** Pieces are never smaller than this: a small file is one piece. */
export const MIN_PIECE_SIZE = 1024 * 1024
/** The default piece size grows past the minimum only to keep a manifest under this many pieces. */
export const TARGET_MAX_PIECES = 65_536
/** Bounds a decoder accepts for a piece size (16 KiB … 64 MiB). */
export const PIECE_SIZE_BOUNDS = { min: 16 * 1024, max: 64 * 1024 * 1024 }
/** A manifest from the wire is never longer than this (1 Mi pieces). */
export const MAX_MANIFEST_LENGTH = MANIFEST_HEADER_LENGTH + HASH_LENGTH * 1024 * 1024

/** Thrown when manifest bytes are malformed or do not match a content id. */
export class InvalidManifestError extends Error {
  static readonly code = 'ERR_INVALID_MANIFEST'
  readonly code = InvalidManifestError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidManifestError'
  }
}

/** Thrown when a file changes (size or mtime) while it is being hashed. */
export class FileChangedError extends Error {
  static readonly code = 'ERR_FILE_CHANGED'
  readonly code = FileChangedError.code
  constructor (path: string) {
    super(`${path} changed while it was being read`)
    this.name = 'FileChangedError'
  }
}

/**
 * The piece size every PeerIT peer picks for a file of this size, so that the
 * same bytes get the same content id everywhere: 1 MiB, doubled until the file
 * has at most 65,536 pieces.
 */
export function defaultPieceSize (size: number): number {
  let pieceSize = MIN_PIECE_SIZE
  while (Math.ceil(size / pieceSize) > TARGET_MAX_PIECES) {
    pieceSize *= 2
  }
  return pieceSize
}

/** How many pieces a file of this size has. */
export function pieceCount (manifest: Pick<Manifest, 'size' | 'pieceSize'>): number {
  return Math.ceil(manifest.size / manifest.pieceSize)
}

/** The length of piece `index` (the last one may be short). */
export function pieceLength (manifest: Pick<Manifest, 'size' | 'pieceSize'>, index: number): number {
  const start = index * manifest.pieceSize
  return Math.max(0, Math.min(manifest.pieceSize, manifest.size - start))
}

/** The expected SHA-256 of piece `index`. */
export function pieceHash (manifest: Manifest, index: number): Uint8Array {
  return manifest.pieceHashes.subarray(index * HASH_LENGTH, (index + 1) * HASH_LENGTH)
}

/**
 * Whether `data` is exactly piece `index` of this manifest: one buffer, or the
 * piece's chunks in order (hashed as they are, without joining them).
 */
export function verifyPiece (manifest: Manifest, index: number, data: Uint8Array | readonly Uint8Array[]): boolean {
  const chunks = data instanceof Uint8Array ? [data] : data
  if (chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) !== pieceLength(manifest, index)) {
    return false
  }
  const hash = createHash('sha256')
  for (const chunk of chunks) {
    hash.update(chunk)
  }
  return hash.digest().equals(pieceHash(manifest, index))
}

/** The canonical bytes of a manifest. */
export function encodeManifest (manifest: Manifest): Uint8Array {
  const bytes = new Uint8Array(MANIFEST_HEADER_LENGTH + manifest.pieceHashes.byteLength)
  const view = new DataView(bytes.buffer)
  view.setUint8(0, MANIFEST_VERSION)
  view.setBigUint64(1, BigInt(manifest.size))
  view.setUint32(9, manifest.pieceSize)
  bytes.set(manifest.pieceHashes, MANIFEST_HEADER_LENGTH)
  return bytes
}

/** Parses and checks canonical manifest bytes; throws {@link InvalidManifestError}. */
export function decodeManifest (bytes: Uint8Array): Manifest {
  if (bytes.byteLength < MANIFEST_HEADER_LENGTH || bytes.byteLength > MAX_MANIFEST_LENGTH) {
    throw new InvalidManifestError(`manifest length ${bytes.byteLength} is out of bounds`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint8(0)
  if (version !== MANIFEST_VERSION) {
    throw new InvalidManifestError(`unknown manifest version ${version}`)
  }
  const size = view.getBigUint64(1)
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidManifestError('file size too large')
  }
  const pieceSize = view.getUint32(9)
  if (pieceSize < PIECE_SIZE_BOUNDS.min || pieceSize > PIECE_SIZE_BOUNDS.max || (pieceSize & (pieceSize - 1)) !== 0) {
    throw new InvalidManifestError(`invalid piece size ${pieceSize}`)
  }
  const manifest = { size: Number(size), pieceSize }
  const expected = MANIFEST_HEADER_LENGTH + pieceCount(manifest) * HASH_LENGTH
  if (bytes.byteLength !== expected) {
    throw new InvalidManifestError(`manifest length ${bytes.byteLength} does not match ${pieceCount(manifest)} pieces`)
  }
  return { ...manifest, pieceHashes: bytes.slice(MANIFEST_HEADER_LENGTH) }
}

/** The content id of canonical manifest bytes: lowercase hex SHA-256. */
export function contentIdOf (manifestBytes: Uint8Array): string {
  return createHash('sha256').update(manifestBytes).digest('hex')
}

/** Decodes manifest bytes and checks that they hash to `contentId`. */
export function decodeManifestFor (contentId: string, bytes: Uint8Array): Manifest {
  if (contentIdOf(bytes) !== contentId) {
    throw new InvalidManifestError(`manifest does not match content id ${contentId}`)
  }
  return decodeManifest(bytes)
}

/** A file's manifest together with its canonical bytes and content id. */
export interface HashedFile {
  manifest: Manifest
  manifestBytes: Uint8Array
  contentId: string
  /** The file's mtime when it was hashed, in ms since the epoch. */
  mtimeMs: number
}

/** Options for {@link hashFile}. */
export interface HashFileOptions {
  pieceSize?: number
  signal?: AbortSignal
}

/**
 * Reads a file once and builds its manifest. Throws {@link FileChangedError}
 * when the file's size or mtime moves while it is read, so a file that is
 * still being written never gets an id for bytes it no longer has.
 */
export async function hashFile (path: string, options: HashFileOptions = {}): Promise<HashedFile> {
  const handle = await open(path, 'r')
  try {
    const before = await handle.stat()
    const size = before.size
    const pieceSize = options.pieceSize ?? defaultPieceSize(size)
    const count = Math.ceil(size / pieceSize)
    const pieceHashes = new Uint8Array(count * HASH_LENGTH)
    // One buffer reused for every read: hashing a 4 GiB file allocates 4 MiB, a small file only its size.
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(pieceSize, 4 * 1024 * 1024, size)))
    for (let index = 0; index < count; index++) {
      options.signal?.throwIfAborted()
      const hash = createHash('sha256')
      const start = index * pieceSize
      const length = Math.min(pieceSize, size - start)
      let done = 0
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, length - done), start + done)
        if (bytesRead === 0) {
          throw new FileChangedError(path)
        }
        hash.update(buffer.subarray(0, bytesRead))
        done += bytesRead
      }
      pieceHashes.set(hash.digest(), index * HASH_LENGTH)
    }
    const after = await handle.stat()
    if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
      throw new FileChangedError(path)
    }
    const manifest = { size, pieceSize, pieceHashes }
    const manifestBytes = encodeManifest(manifest)
    return { manifest, manifestBytes, contentId: contentIdOf(manifestBytes), mtimeMs: before.mtimeMs }
  } finally {
    await handle.close()
  }
}
