import { extensionOf } from '../search/index.ts'
import type { ProviderRecord, SharedFileEntry } from '../../protocols/fetch/index.ts'

/** Bounds applied to what peers report; every field comes from the wire. */
export interface IngestLimits {
  /** Files taken from one provider record; the rest are dropped (default 100,000). */
  maxFilesPerProvider: number
  /** Addresses kept per provider (default 16). */
  maxAddressesPerProvider: number
  /** Longest name kept, in UTF-16 code units; longer names are cut, keeping the extension (default 255, as most file systems). */
  maxNameLength: number
}

/** The defaults of {@link IngestLimits}. */
export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxFilesPerProvider: 100_000,
  maxAddressesPerProvider: 16,
  maxNameLength: 255
}

/** A provider's identity as accepted from the wire. */
export interface CheckedProvider {
  peerId: string
  addresses: string[]
}

const CONTENT_ID = /^[0-9a-f]{64}$/
// Peer ids are base58btc or base32/base36 CIDs: letters and digits only.
const PEER_ID = /^[A-Za-z0-9]{1,128}$/
// Multiaddr strings are printable ASCII; anything else is junk.
const ADDRESS = /^[\x21-\x7e]{1,512}$/
// An extension worth keeping when a long name is cut.
const SHORT_EXTENSION = /^[a-z0-9]{1,16}$/
// Control characters, and the bidirectional overrides that make "gpj.exe" look like "exe.jpg".
const UNSAFE_NAME_CHARACTERS = /[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/

/** The provider of a record, or undefined when its peer id is junk; addresses are filtered and capped. */
export function checkProvider (record: ProviderRecord, limits: IngestLimits): CheckedProvider | undefined {
  if (typeof record?.peerId !== 'string' || !PEER_ID.test(record.peerId)) {
    return undefined
  }
  const addresses = Array.isArray(record.addresses)
    ? [...new Set(record.addresses.filter(address => typeof address === 'string' && ADDRESS.test(address)))]
    : []
  return { peerId: record.peerId, addresses: addresses.slice(0, limits.maxAddressesPerProvider) }
}

/** The files of a record, capped at `maxFilesPerProvider`. */
export function filesOf (record: ProviderRecord, limits: IngestLimits): SharedFileEntry[] {
  return Array.isArray(record.files) ? record.files.slice(0, limits.maxFilesPerProvider) : []
}

/**
 * A display name made safe: control and bidi-override characters removed,
 * cut to `maxLength` keeping a short extension. Path separators and "../"
 * are left alone: a name is only ever displayed here, and the downloader
 * sanitises the name it writes. Undefined when nothing is left.
 */
export function sanitizeName (name: unknown, maxLength: number): string | undefined {
  if (typeof name !== 'string') {
    return undefined
  }
  // Most names are printable ASCII, where there is nothing to remove: skip the Unicode regex.
  let clean = (PRINTABLE_ASCII.test(name) ? name : name.replace(UNSAFE_NAME_CHARACTERS, '')).trim()
  if (clean.length > maxLength) {
    const extension = extensionOf(clean)
    const keep = SHORT_EXTENSION.test(extension) ? `.${extension}` : ''
    clean = clean.slice(0, maxLength - keep.length).toWellFormed() + keep
  }
  return clean === '' ? undefined : clean
}

/** A file entry from the wire, checked: id, size and name; undefined when unusable. */
export function checkFile (file: SharedFileEntry, limits: IngestLimits): { id: string, name: string, size: number } | undefined {
  if (typeof file?.id !== 'string' || !CONTENT_ID.test(file.id) || !Number.isSafeInteger(file.size) || file.size < 0) {
    return undefined
  }
  const name = sanitizeName(file.name, limits.maxNameLength)
  return name === undefined ? undefined : { id: file.id, name, size: file.size }
}
