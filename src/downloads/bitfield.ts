/**
 * One bit per piece, most significant bit first (as BitTorrent's `bitfield`
 * message), kept in download records as base64.
 */
export class Bitfield {
  readonly length: number
  readonly bytes: Uint8Array
  private bitsSet = 0

  constructor (length: number, bytes?: Uint8Array) {
    this.length = length
    this.bytes = new Uint8Array(Math.ceil(length / 8))
    if (bytes != null) {
      if (bytes.byteLength !== this.bytes.byteLength) {
        throw new RangeError(`a bitfield of ${length} bits needs ${this.bytes.byteLength} bytes, not ${bytes.byteLength}`)
      }
      this.bytes.set(bytes)
      // Bits past the end would count pieces that do not exist.
      const spare = this.bytes.byteLength * 8 - length
      if (spare > 0) {
        this.bytes[this.bytes.byteLength - 1] &= (0xff << spare) & 0xff
      }
      for (let index = 0; index < length; index++) {
        if (this.has(index)) {
          this.bitsSet++
        }
      }
    }
  }

  /** A bitfield decoded from {@link Bitfield.toBase64}; throws RangeError when the length does not fit. */
  static fromBase64 (length: number, base64: string): Bitfield {
    return new Bitfield(length, Buffer.from(base64, 'base64'))
  }

  /** How many bits are set. */
  get count (): number {
    return this.bitsSet
  }

  /** Whether every bit is set. */
  get full (): boolean {
    return this.bitsSet === this.length
  }

  /** Whether bit `index` is set. */
  has (index: number): boolean {
    return (this.bytes[index >> 3] & (0x80 >> (index & 7))) !== 0
  }

  /** Sets bit `index`; setting it twice counts once. */
  set (index: number): void {
    if (index < 0 || index >= this.length) {
      throw new RangeError(`bit ${index} is out of range`)
    }
    if (!this.has(index)) {
      this.bytes[index >> 3] |= 0x80 >> (index & 7)
      this.bitsSet++
    }
  }

  /** The bits as base64, for a download record. */
  toBase64 (): string {
    return Buffer.from(this.bytes).toString('base64')
  }
}
