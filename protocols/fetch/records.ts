/**
 * Provider records between the public shape (strings, used by the node) and
 * the wire shape (bytes), and the checks a record must pass before a peer
 * passes it on: nothing from the wire is trusted.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { WIRE_LIMITS } from './constants.ts'
import { InvalidMessageError } from './errors.ts'
import { encodedFileLength, encodedRecordOverhead, utf8Length } from './messages.ts'
import type { FetchQuery, ProviderRecord, SharedFileEntry } from './index.ts'
import type { WireFile, WireQuery, WireRecord } from './messages.ts'

/**
 * C0 and C1 controls (NUL included), plus the invisible characters that can
 * make a name display as something else: line/paragraph separators and the
 * bidirectional overrides ("gpj.exe" shown as "exe.jpg").
 */
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu
const HEX_ID = /^[0-9a-f]{64}$/

/** What the checks removed, so the service can count and log it. */
export interface Checked<T> {
  value?: T
  dropped: number
}

/**
 * A file name as PeerIT sends it: unsafe characters removed, path separators
 * replaced by `_` (a name is never a path), at most 255 UTF-8 bytes (cut at a
 * character boundary). Returns undefined when nothing usable is left.
 */
export function sanitizeName (name: string): string | undefined {
  const clean = truncateUtf8(name.replace(UNSAFE_CHARACTERS, '').replace(/[/\\]/g, '_'), WIRE_LIMITS.maxNameBytes)
  return clean === '' || clean === '.' || clean === '..' ? undefined : clean
}

function truncateUtf8 (text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) {
    return text
  }
  let kept = ''
  let bytes = 0
  for (const character of text) {
    bytes += utf8Length(character)
    if (bytes > maxBytes) {
      break
    }
    kept += character
  }
  return kept
}

/** A name or type from the wire is accepted only if it is already in the form an honest sender produces. */
function isCleanName (name: string): boolean {
  return sanitizeName(name) === name
}

function isCleanType (type: string): boolean {
  return type.length > 0 && utf8Length(type) <= WIRE_LIMITS.maxTypeBytes && type.replace(UNSAFE_CHARACTERS, '') === type
}

function isValidSize (size: number): boolean {
  return Number.isSafeInteger(size) && size >= 0
}

/** This peer's shared files in wire form; entries that cannot be sent (bad id, size or type, empty name) are dropped. */
export function toWireFiles (entries: SharedFileEntry[]): Checked<WireFile[]> {
  const files: WireFile[] = []
  for (const entry of entries) {
    const name = sanitizeName(String(entry.name))
    if (name == null || !HEX_ID.test(entry.id) || !isValidSize(entry.size) || !isCleanType(entry.type)) {
      continue
    }
    files.push({ id: uint8ArrayFromString(entry.id, 'base16'), name, size: entry.size, type: entry.type })
  }
  return { value: files, dropped: entries.length - files.length }
}

/**
 * Checks a record from a neighbour before it is passed on or kept. The record
 * is dropped when its peer id does not parse (or is not in canonical form),
 * names this peer, or claims to be no farther than `minHops − 1`; bad
 * addresses and files are dropped one by one.
 */
export function checkRecord (record: WireRecord, minHops: number, selfPeerId: string): Checked<WireRecord> {
  if (record.hops < minHops || record.peerId === selfPeerId || !isCanonicalPeerId(record.peerId)) {
    return { dropped: 1 }
  }
  const addresses = record.addresses.filter(isValidAddress)
  const files = record.files.filter(file => isCleanName(file.name) && isCleanType(file.type))
  return {
    value: { peerId: record.peerId, addresses, files, hops: record.hops },
    dropped: record.addresses.length - addresses.length + record.files.length - files.length
  }
}

function isCanonicalPeerId (peerId: string): boolean {
  try {
    return peerIdFromString(peerId).toString() === peerId
  } catch {
    return false
  }
}

function isValidAddress (bytes: Uint8Array): boolean {
  try {
    multiaddr(bytes).toString()
    return true
  } catch {
    return false
  }
}

/** The public form of a checked wire record. */
export function toProviderRecord (record: WireRecord): ProviderRecord {
  return {
    peerId: record.peerId,
    addresses: record.addresses.map(bytes => multiaddr(bytes).toString()),
    files: record.files.map(file => ({ id: uint8ArrayToString(file.id, 'base16'), name: file.name, size: file.size, type: file.type })),
    hops: record.hops
  }
}

/**
 * Packs a provider's files into as few record frames as the limits allow:
 * at most `maxFiles` files and `maxBytes` of frame body each. Always at least
 * one frame, so a peer with nothing to share still says it was reached. A
 * file too large to fit even alone is left out.
 */
export function packRecords (base: Omit<WireRecord, 'files'>, files: WireFile[], maxFiles: number, maxBytes: number): WireRecord[] {
  const overhead = encodedRecordOverhead(base)
  const frames: WireRecord[] = []
  let current: WireFile[] = []
  let size = overhead
  for (const file of files) {
    const length = encodedFileLength(file)
    if (overhead + length > maxBytes) {
      continue
    }
    if (current.length >= maxFiles || size + length > maxBytes) {
      frames.push({ ...base, files: current })
      current = []
      size = overhead
    }
    current.push(file)
    size += length
  }
  if (current.length > 0 || frames.length === 0) {
    frames.push({ ...base, files: current })
  }
  return frames
}

/**
 * The wire form of a caller's query: words trimmed, empty parts left out
 * (undefined when nothing is left: no filter). Throws
 * {@link InvalidMessageError} when the query breaks a wire bound, so the
 * caller hears it instead of every peer refusing the request.
 */
export function toWireQuery (query: FetchQuery | undefined): WireQuery | undefined {
  const words = (query?.words ?? []).map(word => word.trim()).filter(word => word !== '')
  const type = query?.type?.trim()
  if (words.length > WIRE_LIMITS.maxQueryWords || words.some(word => utf8Length(word) > WIRE_LIMITS.maxWordBytes)) {
    throw new InvalidMessageError(`a query has at most ${WIRE_LIMITS.maxQueryWords} words of at most ${WIRE_LIMITS.maxWordBytes} bytes`)
  }
  if (type != null && type !== '' && utf8Length(type) > WIRE_LIMITS.maxTypeBytes) {
    throw new InvalidMessageError(`a query type has at most ${WIRE_LIMITS.maxTypeBytes} bytes`)
  }
  if (words.length === 0 && (type == null || type === '')) {
    return undefined
  }
  return type == null || type === '' ? { words } : { words, type }
}

/** The query handed to `localFiles`: undefined when the request carries no filter. */
export function fromWireQuery (query: WireQuery | undefined): FetchQuery | undefined {
  if (query == null || (query.words.length === 0 && query.type == null)) {
    return undefined
  }
  return query.type == null ? { words: query.words } : { words: query.words, type: query.type }
}
