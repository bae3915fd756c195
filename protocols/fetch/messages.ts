/**
 * Hand-written protobuf codec for fetch.proto (protons' generated TypeScript
 * uses enums and namespaces, which this project's compiler settings forbid).
 * Decoding checks every field: wire type, presence, byte length, count and
 * UTF-8 validity; anything else is an {@link InvalidMessageError}. Unknown
 * fields are skipped so later versions can add some.
 */
import { decodeMessage, encodeMessage, message } from 'protons-runtime'
import { varintLength } from '../shared/varint.ts'
import { WIRE_LIMITS } from './constants.ts'
import { InvalidMessageError } from './errors.ts'
import { TABLE_BYTES } from './routing-table.ts'
import type { Codec, DecodeFunction, EncodeFunction, Reader } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A search pushed into the network: every word must match a name; type is a kind or an extension. */
export interface WireQuery {
  words: string[]
  type?: string
}

/** The one frame a requester sends. */
export interface WireRequest {
  /** 16 random bytes. */
  id: Uint8Array
  /** As received; the service clamps it. */
  ttl: number
  hops: number
  query?: WireQuery
}

/** One shared file as it travels. */
export interface WireFile {
  /** 32-byte content id. */
  id: Uint8Array
  name: string
  size: number
  type: string
}

/** One provider's answer (or part of it: large answers span several frames). */
export interface WireRecord {
  peerId: string
  /** Binary multiaddrs. */
  addresses: Uint8Array[]
  files: WireFile[]
  /** The provider's distance from the originator. */
  hops: number
}

/** A response frame: exactly one of `duplicate` (true) or `record`. */
export type WireResponse = { duplicate: true, record?: undefined } | { duplicate: false, record: WireRecord }

/** `/peerit/fetch/1.1`: a peer's query routing table, sent to a neighbour whenever it changes. */
export interface WireRouteTable {
  /** 1, 2, …: strictly increasing per sender; a receiver keeps the highest it has seen. */
  sequence: number
  /** Exactly {@link TABLE_BYTES} bytes (see routing-table.ts). */
  bitmap: Uint8Array
  /**
   * The sender's reach table for this receiver: its own table ORed with the
   * tables of its other neighbours (exactly {@link TABLE_BYTES} bytes).
   * Absent when some other neighbour sent none: then anything may match two
   * hops away.
   */
  reach?: Uint8Array
}

/** `/peerit/fetch/1.1`: the opener's one frame, a request or a routing table. */
export type WireMessage = { request: WireRequest, routeTable?: undefined } | { request?: undefined, routeTable: WireRouteTable }

/** Bounds a receiver may configure (the other field bounds are fixed in {@link WIRE_LIMITS}). */
export interface DecodeLimits {
  maxFilesPerRecord: number
}

const VARINT = 0
const LENGTH_DELIMITED = 2
const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

/** protons needs a streaming decoder per codec; ours decodes whole frames, so it yields the value once. */
function wholeMessageStream<T> (decode: DecodeFunction<T>): Codec<T, T>['stream'] {
  return function * (reader, length, prefix, opts) {
    yield { field: prefix, value: decode(reader, length, opts) }
  }
}

function codecOf<T> (encode: EncodeFunction<T>, decode: DecodeFunction<T>): Codec<T, T> {
  return message<T, T>(encode, decode, wholeMessageStream(decode))
}

/**
 * Reads the fields of one (possibly embedded) message, checking each field's
 * wire type and that a singular field appears at most once, then checks the
 * message ended exactly where its length said.
 */
function readFields (reader: Reader, length: number | undefined, what: string, fields: Record<number, { wireType: number, repeated?: boolean, read: () => void }>): void {
  if (length != null && length > reader.len - reader.pos) {
    throw new InvalidMessageError(`${what}: length ${length} runs past the frame`)
  }
  const end = length == null ? reader.len : reader.pos + length
  const seen = new Set<number>()
  while (reader.pos < end) {
    const tag = reader.uint32()
    const field = fields[tag >>> 3]
    if (field == null) {
      reader.skipType(tag & 7)
      continue
    }
    if ((tag & 7) !== field.wireType) {
      throw new InvalidMessageError(`${what}: field ${tag >>> 3} has wire type ${tag & 7}`)
    }
    if (field.repeated !== true) {
      if (seen.has(tag >>> 3)) {
        throw new InvalidMessageError(`${what}: field ${tag >>> 3} appears twice`)
      }
      seen.add(tag >>> 3)
    }
    field.read()
  }
  if (reader.pos !== end) {
    throw new InvalidMessageError(`${what}: ran ${reader.pos - end} bytes past its end`)
  }
}

function boundedBytes (reader: Reader, what: string, min: number, max: number): Uint8Array {
  const bytes = reader.bytes()
  if (bytes.byteLength < min || bytes.byteLength > max) {
    throw new InvalidMessageError(`${what}: ${bytes.byteLength} bytes, expected ${min === max ? min : `${min}..${max}`}`)
  }
  return bytes
}

function boundedString (reader: Reader, what: string, max: number): string {
  const bytes = boundedBytes(reader, what, 1, max)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new InvalidMessageError(`${what}: not valid UTF-8`)
  }
}

function boundedUint (value: number, what: string, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidMessageError(`${what}: ${value} is out of range 0..${max}`)
  }
  return value
}

/** Count check done while decoding, so a frame of a million tiny entries is refused before it is built. */
function pushBounded<T> (list: T[], value: T, what: string, max: number): void {
  if (list.length >= max) {
    throw new InvalidMessageError(`${what}: more than ${max}`)
  }
  list.push(value)
}

const queryCodec = codecOf<WireQuery>((query, w, opts = {}) => {
  if (opts.lengthDelimited !== false) w.fork()
  for (const word of query.words) {
    w.uint32(10).string(word)
  }
  if (query.type != null) w.uint32(18).string(query.type)
  if (opts.lengthDelimited !== false) w.ldelim()
}, (reader, length) => {
  const query: WireQuery = { words: [] }
  readFields(reader, length, 'query', {
    1: { wireType: LENGTH_DELIMITED, repeated: true, read: () => { pushBounded(query.words, boundedString(reader, 'query word', WIRE_LIMITS.maxWordBytes), 'query words', WIRE_LIMITS.maxQueryWords) } },
    2: { wireType: LENGTH_DELIMITED, read: () => { query.type = boundedString(reader, 'query type', WIRE_LIMITS.maxTypeBytes) } }
  })
  return query
})

const requestCodec = codecOf<WireRequest>((request, w, opts = {}) => {
  if (opts.lengthDelimited !== false) w.fork()
  w.uint32(10).bytes(request.id)
  w.uint32(16).uint32(request.ttl)
  if (request.hops !== 0) w.uint32(24).uint32(request.hops)
  if (request.query != null) {
    w.uint32(34)
    queryCodec.encode(request.query, w)
  }
  if (opts.lengthDelimited !== false) w.ldelim()
}, (reader, length) => {
  let id: Uint8Array | undefined
  let ttl = 0
  let hops = 0
  let query: WireQuery | undefined
  readFields(reader, length, 'request', {
    1: { wireType: LENGTH_DELIMITED, read: () => { id = boundedBytes(reader, 'fetch id', WIRE_LIMITS.fetchIdBytes, WIRE_LIMITS.fetchIdBytes) } },
    2: { wireType: VARINT, read: () => { ttl = reader.uint32() } },
    3: { wireType: VARINT, read: () => { hops = boundedUint(reader.uint32(), 'hops', WIRE_LIMITS.maxHops) } },
    4: { wireType: LENGTH_DELIMITED, read: () => { query = queryCodec.decode(reader, reader.uint32()) } }
  })
  if (id == null) {
    throw new InvalidMessageError('request: no fetch id')
  }
  return query == null ? { id, ttl, hops } : { id, ttl, hops, query }
})

const routeTableCodec = codecOf<WireRouteTable>((table, w, opts = {}) => {
  if (opts.lengthDelimited !== false) w.fork()
  w.uint32(8).uint32(table.sequence)
  w.uint32(18).bytes(table.bitmap)
  if (table.reach != null) {
    w.uint32(26).bytes(table.reach)
  }
  if (opts.lengthDelimited !== false) w.ldelim()
}, (reader, length) => {
  let sequence = 0
  let bitmap: Uint8Array | undefined
  let reach: Uint8Array | undefined
  readFields(reader, length, 'route table', {
    1: { wireType: VARINT, read: () => { sequence = reader.uint32() } },
    2: { wireType: LENGTH_DELIMITED, read: () => { bitmap = boundedBytes(reader, 'route table bitmap', TABLE_BYTES, TABLE_BYTES) } },
    3: { wireType: LENGTH_DELIMITED, read: () => { reach = boundedBytes(reader, 'route table reach', TABLE_BYTES, TABLE_BYTES) } }
  })
  if (bitmap == null || sequence === 0) {
    throw new InvalidMessageError('route table: sequence (≥ 1) and bitmap are required')
  }
  return reach == null ? { sequence, bitmap } : { sequence, bitmap, reach }
})

const messageCodec = codecOf<WireMessage>((message, w, opts = {}) => {
  if (opts.lengthDelimited !== false) w.fork()
  if (message.request != null) {
    w.uint32(10)
    requestCodec.encode(message.request, w)
  }
  if (message.routeTable != null) {
    w.uint32(18)
    routeTableCodec.encode(message.routeTable, w)
  }
  if (opts.lengthDelimited !== false) w.ldelim()
}, (reader, length) => {
  let request: WireRequest | undefined
  let routeTable: WireRouteTable | undefined
  readFields(reader, length, 'message', {
    1: { wireType: LENGTH_DELIMITED, read: () => { request = requestCodec.decode(reader, reader.uint32()) } },
    2: { wireType: LENGTH_DELIMITED, read: () => { routeTable = routeTableCodec.decode(reader, reader.uint32()) } }
  })
  if (request != null && routeTable == null) return { request }
  if (request == null && routeTable != null) return { routeTable }
  throw new InvalidMessageError('message: exactly one of request and route_table must be set')
})

const fileCodec = codecOf<WireFile>((file, w, opts = {}) => {
  if (opts.lengthDelimited !== false) w.fork()
  w.uint32(10).bytes(file.id)
  w.uint32(18).string(file.name)
  if (file.size !== 0) w.uint32(24).uint64Number(file.size)
  w.uint32(34).string(file.type)
  if (opts.lengthDelimited !== false) w.ldelim()
}, (reader, length) => {
  let id: Uint8Array | undefined
  let name: string | undefined
  let size = 0
  let type: string | undefined
  readFields(reader, length, 'file', {
    1: { wireType: LENGTH_DELIMITED, read: () => { id = boundedBytes(reader, 'file id', WIRE_LIMITS.fileIdBytes, WIRE_LIMITS.fileIdBytes) } },
    2: { wireType: LENGTH_DELIMITED, read: () => { name = boundedString(reader, 'file name', WIRE_LIMITS.maxNameBytes) } },
    3: { wireType: VARINT, read: () => { size = boundedUint(reader.uint64Number(), 'file size', Number.MAX_SAFE_INTEGER) } },
    4: { wireType: LENGTH_DELIMITED, read: () => { type = boundedString(reader, 'file type', WIRE_LIMITS.maxTypeBytes) } }
  })
  if (id == null || name == null || type == null) {
    throw new InvalidMessageError('file: id, name and type are required')
  }
  return { id, name, size, type }
})

function recordCodec (limits: DecodeLimits): Codec<WireRecord, WireRecord> {
  return codecOf<WireRecord>((record, w, opts = {}) => {
    if (opts.lengthDelimited !== false) w.fork()
    w.uint32(10).string(record.peerId)
    for (const address of record.addresses) {
      w.uint32(18).bytes(address)
    }
    for (const file of record.files) {
      w.uint32(26)
      fileCodec.encode(file, w)
    }
    w.uint32(32).uint32(record.hops)
    if (opts.lengthDelimited !== false) w.ldelim()
  }, (reader, length) => {
    let peerId: string | undefined
    let hops = 0
    const addresses: Uint8Array[] = []
    const files: WireFile[] = []
    readFields(reader, length, 'record', {
      1: { wireType: LENGTH_DELIMITED, read: () => { peerId = boundedString(reader, 'peer id', WIRE_LIMITS.maxPeerIdBytes) } },
      2: { wireType: LENGTH_DELIMITED, repeated: true, read: () => { pushBounded(addresses, boundedBytes(reader, 'address', 1, WIRE_LIMITS.maxAddressBytes), 'addresses', WIRE_LIMITS.maxAddresses) } },
      3: { wireType: LENGTH_DELIMITED, repeated: true, read: () => { pushBounded(files, fileCodec.decode(reader, reader.uint32()), 'files', limits.maxFilesPerRecord) } },
      4: { wireType: VARINT, read: () => { hops = boundedUint(reader.uint32(), 'hops', WIRE_LIMITS.maxHops) } }
    })
    if (peerId == null || hops === 0) {
      throw new InvalidMessageError('record: peer id and hops (≥ 1) are required')
    }
    return { peerId, addresses, files, hops }
  })
}

function responseCodec (limits: DecodeLimits): Codec<WireResponse, WireResponse> {
  const records = recordCodec(limits)
  return codecOf<WireResponse>((response, w, opts = {}) => {
    if (opts.lengthDelimited !== false) w.fork()
    if (response.duplicate) w.uint32(8).bool(true)
    if (response.record != null) {
      w.uint32(18)
      records.encode(response.record, w)
    }
    if (opts.lengthDelimited !== false) w.ldelim()
  }, (reader, length) => {
    let duplicate = false
    let record: WireRecord | undefined
    readFields(reader, length, 'response', {
      1: { wireType: VARINT, read: () => { duplicate = reader.bool() } },
      2: { wireType: LENGTH_DELIMITED, read: () => { record = records.decode(reader, reader.uint32()) } }
    })
    if (duplicate && record == null) return { duplicate: true }
    if (!duplicate && record != null) return { duplicate: false, record }
    throw new InvalidMessageError('response: exactly one of duplicate and record must be set')
  })
}

/** Turns whatever a decoder threw (protons throws RangeError on a short buffer) into an {@link InvalidMessageError}. */
function decodeChecked<T> (bytes: Uint8Array | Uint8ArrayList, codec: Codec<T, T>): T {
  try {
    return decodeMessage(bytes, codec)
  } catch (err) {
    if (err instanceof InvalidMessageError) throw err
    throw new InvalidMessageError(`undecodable frame: ${(err as Error).message}`)
  }
}

/** Encoding never needs the receive-side bound. */
const unboundedLimits: DecodeLimits = { maxFilesPerRecord: Infinity }
const encodingRecordCodec = recordCodec(unboundedLimits)
const encodingResponseCodec = responseCodec(unboundedLimits)
/** One decoder per configured bound (in practice: one). */
const decodingResponseCodecs = new Map<number, Codec<WireResponse, WireResponse>>()

function decodingResponseCodec (limits: DecodeLimits): Codec<WireResponse, WireResponse> {
  let codec = decodingResponseCodecs.get(limits.maxFilesPerRecord)
  if (codec == null) {
    codec = responseCodec(limits)
    decodingResponseCodecs.set(limits.maxFilesPerRecord, codec)
  }
  return codec
}

/** Encodes a request frame body (without the length prefix). */
export function encodeRequest (request: WireRequest): Uint8Array {
  return encodeMessage(request, requestCodec)
}

/** Decodes and checks a request frame body. The TTL is returned as sent: the service clamps it. */
export function decodeRequest (bytes: Uint8Array | Uint8ArrayList): WireRequest {
  return decodeChecked(bytes, requestCodec)
}

/** Encodes a `/peerit/fetch/1.1` opener frame body (without the length prefix). */
export function encodeMessage11 (message: WireMessage): Uint8Array {
  return encodeMessage(message, messageCodec)
}

/** Decodes and checks a `/peerit/fetch/1.1` opener frame body. */
export function decodeMessage11 (bytes: Uint8Array | Uint8ArrayList): WireMessage {
  return decodeChecked(bytes, messageCodec)
}

/** Encodes a response frame body (without the length prefix). */
export function encodeResponse (response: WireResponse): Uint8Array {
  return encodeMessage(response, encodingResponseCodec)
}

/** Decodes and checks a response frame body. */
export function decodeResponse (bytes: Uint8Array | Uint8ArrayList, limits: DecodeLimits): WireResponse {
  return decodeChecked(bytes, decodingResponseCodec(limits))
}

/** Encoded size of one file entry inside a record, tag and length prefix included; used to pack frames. */
export function encodedFileLength (file: WireFile): number {
  const body = encodeMessage(file, fileCodec).byteLength
  return 1 + varintLength(body) + body
}

/** Bytes a record frame has before any file: used with {@link encodedFileLength} to pack frames. */
export function encodedRecordOverhead (record: Omit<WireRecord, 'files'>): number {
  const recordBody = encodeMessage({ ...record, files: [] }, encodingRecordCodec).byteLength
  // the response wraps the record in one more tag + length; 3 bytes of length covers any frame ≤ 2 MiB
  return 1 + 3 + recordBody
}

/** UTF-8 byte length of a string, for the field bounds. */
export function utf8Length (text: string): number {
  return utf8Encoder.encode(text).byteLength
}
