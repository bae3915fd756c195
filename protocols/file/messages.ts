import { reader, writer } from 'protons-runtime'
import { encodeVarint, lengthPrefixed } from '../shared/varint.ts'
import { CONTENT_ID_LENGTH } from './constants.ts'
import { ProtocolError } from './errors.ts'

/** What a request asks for (`FileRequest.Kind` in file.proto). */
export const RequestKind = { MANIFEST: 1, PIECES: 2 } as const
/** A request kind's wire value. */
export type RequestKind = typeof RequestKind[keyof typeof RequestKind]

/** How the server answers (`FileResponse.Status` in file.proto). */
export const ResponseStatus = { OK: 1, NOT_FOUND: 2, BUSY: 3, UNAVAILABLE: 4, BAD_REQUEST: 5 } as const
/** A response status's wire value. */
export type ResponseStatus = typeof ResponseStatus[keyof typeof ResponseStatus]

/**
 * A decoded request. `kind` stays a plain number: a well-formed request of a
 * kind this version does not know is answered BAD_REQUEST, not dropped.
 */
export interface FileRequest {
  kind: number
  contentId: Uint8Array
  first: number
  count: number
}

/** A decoded response header. */
export interface FileResponse {
  status: ResponseStatus
}

// Protobuf tags: (field number << 3) | wire type (0 = varint, 2 = length-delimited).
const TAG_KIND = (1 << 3) | 0
const TAG_CONTENT_ID = (2 << 3) | 2
const TAG_FIRST = (3 << 3) | 0
const TAG_COUNT = (4 << 3) | 0
const TAG_STATUS = (1 << 3) | 0
const KNOWN_STATUSES = new Set<number>(Object.values(ResponseStatus))
const REQUEST_FIELDS = new Set([1, 2, 3, 4])
const RESPONSE_FIELDS = new Set([1])

/** A request, length-prefixed (unsigned varint) as it goes on the wire. */
export function encodeRequest (request: FileRequest): Uint8Array {
  const body = writer()
    .uint32(TAG_KIND).uint32(request.kind)
    .uint32(TAG_CONTENT_ID).bytes(request.contentId)
    .uint32(TAG_FIRST).uint32(request.first)
    .uint32(TAG_COUNT).uint32(request.count)
    .finish()
  return lengthPrefixed(body)
}

/** Decodes a request message (without its length prefix); throws {@link ProtocolError} when malformed. */
export function decodeRequest (bytes: Uint8Array): FileRequest {
  const request: FileRequest = { kind: 0, contentId: new Uint8Array(0), first: 0, count: 0 }
  decodeFields(bytes, REQUEST_FIELDS, (tag, input) => {
    switch (tag) {
      case TAG_KIND: request.kind = input.uint32(); return true
      case TAG_CONTENT_ID: request.contentId = input.bytes(); return true
      case TAG_FIRST: request.first = input.uint32(); return true
      case TAG_COUNT: request.count = input.uint32(); return true
      default: return false
    }
  })
  if (request.contentId.byteLength !== CONTENT_ID_LENGTH) {
    throw new ProtocolError(`content id is ${request.contentId.byteLength} bytes, not ${CONTENT_ID_LENGTH}`)
  }
  return request
}

/** A response header, length-prefixed (unsigned varint) as it goes on the wire. */
export function encodeResponse (response: FileResponse): Uint8Array {
  return lengthPrefixed(writer().uint32(TAG_STATUS).uint32(response.status).finish())
}

/** An unsigned varint, as the manifest's length prefix. */
export function encodeLength (length: number): Uint8Array {
  return encodeVarint(length)
}

/** Decodes a response header (without its length prefix); throws {@link ProtocolError} when malformed. */
export function decodeResponse (bytes: Uint8Array): FileResponse {
  let status = 0
  decodeFields(bytes, RESPONSE_FIELDS, (tag, input) => {
    if (tag !== TAG_STATUS) {
      return false
    }
    status = input.uint32()
    return true
  })
  if (!KNOWN_STATUSES.has(status)) {
    throw new ProtocolError(`unknown response status ${status}`)
  }
  return { status: status as ResponseStatus }
}

type Reader = ReturnType<typeof reader>

/**
 * Walks the fields of a protobuf message, skipping the ones `field` does not
 * know (returns false for), as proto3 requires. Truncated or otherwise
 * undecodable bytes, a known field (`known`: field numbers) that appears
 * twice or with another wire type, become a {@link ProtocolError}.
 */
function decodeFields (bytes: Uint8Array, known: ReadonlySet<number>, field: (tag: number, input: Reader) => boolean): void {
  const input = reader(bytes)
  // A known field twice is malformed, as in the fetch protocol: no "last one wins".
  const seen = new Set<number>()
  try {
    while (input.pos < input.len) {
      const tag = input.uint32()
      if (seen.has(tag >>> 3)) {
        throw new Error(`field ${tag >>> 3} appears twice`)
      }
      if (field(tag, input)) {
        seen.add(tag >>> 3)
      } else if (known.has(tag >>> 3)) {
        throw new Error(`field ${tag >>> 3} has wire type ${tag & 7}`)
      } else {
        input.skipType(tag & 7)
      }
    }
  } catch (err) {
    throw new ProtocolError(`malformed message: ${(err as Error).message}`)
  }
  if (input.pos !== input.len) {
    throw new ProtocolError('malformed message: a field runs past the end')
  }
}
