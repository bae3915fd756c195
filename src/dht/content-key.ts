/**
 * How a PeerIT content id becomes a DHT key. A content id is the SHA-256 of a
 * file's canonical manifest (docs/protocols.md), so it already is a sha2-256
 * digest: wrapped as a CIDv1 with the `raw` codec it names the manifest's
 * bytes, and kad-dht keys provider records by that CID's multihash,
 * `0x12 0x20 <32 digest bytes>`. Nothing is hashed again here.
 */
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'

/** The multicodec of `raw` bytes: the CID names the manifest as it is. */
export const RAW_CODEC = 0x55

/** The multihash code of sha2-256. */
export const SHA2_256_CODE = 0x12

const CONTENT_ID = /^[0-9a-f]{64}$/

/** Thrown for a string that is not a full content id (64 lowercase hex digits). */
export class InvalidContentIdError extends Error {
  static readonly code = 'ERR_INVALID_CONTENT_ID'
  readonly code = InvalidContentIdError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidContentIdError'
  }
}

/** The CID a content id is provided under: `CIDv1(raw, sha2-256(manifest))`. */
export function contentIdToCid (contentId: string): CID {
  if (!CONTENT_ID.test(contentId)) {
    throw new InvalidContentIdError(`"${contentId.slice(0, 70)}" is not a content id (64 lowercase hex digits)`)
  }
  return CID.createV1(RAW_CODEC, Digest.create(SHA2_256_CODE, uint8ArrayFromString(contentId, 'base16')))
}

/** The DHT key of a content id: the 34 bytes of its CID's multihash. */
export function contentIdToDhtKey (contentId: string): Uint8Array {
  return contentIdToCid(contentId).multihash.bytes
}
