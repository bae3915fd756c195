/**
 * Splits a byte stream into newline-terminated lines. Each byte is scanned
 * once, when it arrives: an unfinished line is kept as a list of chunks and
 * joined only when its newline comes, so a long line costs linear time (a
 * string buffer rescanned per chunk made a 64 MiB line take ~45 s).
 * Bytes are decoded only per whole line, so a UTF-8 character split across
 * chunks is never mangled.
 */
export class LineSplitter {
  private readonly chunks: Uint8Array[] = []
  private heldBytes = 0

  /** Bytes of the unfinished line held so far. */
  get pendingBytes (): number {
    return this.heldBytes
  }

  /** Takes the next chunk; returns the lines it completed, in order. */
  push (chunk: Uint8Array): string[] {
    const lines: string[] = []
    let start = 0
    let newline = chunk.indexOf(0x0a, start)
    while (newline !== -1) {
      this.chunks.push(chunk.subarray(start, newline))
      lines.push(Buffer.concat(this.chunks).toString('utf8'))
      this.chunks.length = 0
      this.heldBytes = 0
      start = newline + 1
      newline = chunk.indexOf(0x0a, start)
    }
    if (start < chunk.length) {
      this.chunks.push(chunk.subarray(start))
      this.heldBytes += chunk.length - start
    }
    return lines
  }

  /** Forgets the unfinished line. */
  clear (): void {
    this.chunks.length = 0
    this.heldBytes = 0
  }
}
