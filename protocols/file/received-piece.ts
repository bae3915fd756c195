import { concat } from 'uint8arrays/concat'
import type { PieceData } from './index.ts'

/**
 * A piece as the client read it: the views of the received buffers it spans,
 * never copied. A download hashes and writes the chunks as they are (one
 * `writev`), which spares a 1 MiB allocation and copy per piece; `bytes`
 * joins them only for a caller that asks for one buffer.
 */
export class ReceivedPiece implements PieceData {
  readonly index: number
  readonly chunks: readonly Uint8Array[]
  readonly byteLength: number
  private joined?: Uint8Array

  constructor (index: number, chunks: readonly Uint8Array[]) {
    this.index = index
    this.chunks = chunks
    this.byteLength = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0)
  }

  get bytes (): Uint8Array {
    this.joined ??= this.chunks.length === 1 ? this.chunks[0] : concat([...this.chunks], this.byteLength)
    return this.joined
  }
}
