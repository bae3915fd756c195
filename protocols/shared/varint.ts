/**
 * Unsigned LEB128 varints as both protocols put them on the wire (length
 * prefixes, protobuf integers), on `uint8-varint`, plus the incremental
 * prefix check both stream readers share: a length prefix is judged byte by
 * byte, so an over-long or over-large one is refused before its body is read.
 */
import { encode, encodingLength } from 'uint8-varint'

export { encodingLength as varintLength }

/** An unsigned varint. */
export function encodeVarint (value: number): Uint8Array {
  return encode(value)
}

/** `body` behind its varint length: one frame. */
export function lengthPrefixed (body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(encodingLength(body.byteLength) + body.byteLength)
  encode(body.byteLength, frame)
  frame.set(body, frame.byteLength - body.byteLength)
  return frame
}

/** Why a length prefix was refused. */
export type PrefixFault = 'too-large' | 'too-long' | 'not-minimal'

/** What {@link checkPrefixByte} concluded after one more byte. */
export type PrefixStep =
  | { state: 'more', value: number }
  | { state: 'done', value: number }
  | { state: 'fault', fault: PrefixFault, value: number }

/** Bounds of a length prefix: its largest value and its longest form (a minimal varint always). */
export interface PrefixBounds {
  maxValue: number
  maxBytes: number
}

/**
 * Adds the `index`-th byte of a length prefix to the `value` read so far.
 * A prefix must be minimal (no trailing 0x80 … 0x00 padding), at most
 * `maxBytes` long, and never above `maxValue` — judged as soon as the byte
 * that breaks the rule arrives.
 */
export function checkPrefixByte (value: number, byte: number, index: number, bounds: PrefixBounds): PrefixStep {
  const next = value + (byte & 0x7f) * 2 ** (7 * index)
  if (next > bounds.maxValue) {
    return { state: 'fault', fault: 'too-large', value: next }
  }
  if ((byte & 0x80) === 0) {
    if (index > 0 && byte === 0) {
      return { state: 'fault', fault: 'not-minimal', value: next }
    }
    return { state: 'done', value: next }
  }
  if (index + 1 >= bounds.maxBytes) {
    return { state: 'fault', fault: 'too-long', value: next }
  }
  return { state: 'more', value: next }
}
