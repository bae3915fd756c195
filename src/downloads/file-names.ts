import { extname } from 'node:path'

/**
 * Names come from the wire, so a final name is bounded in bytes: 255 is the
 * limit of ext4, APFS and NTFS, and the margin leaves room for ` (9999)` and
 * `.part` after it.
 */
export const MAX_NAME_BYTES = 200

/** The name used when nothing usable is left of the name from the wire. */
export const FALLBACK_NAME = 'download'

// C0 and C1 controls and DEL; the bidi controls (U+202A–U+202E, U+2066–U+2069)
// and zero-width marks, which can make `txt.exe` render as `exe.txt`.
// eslint-disable-next-line no-control-regex -- control characters are what this matches
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu
// Path separators, and what Windows refuses in names, so a download can be
// copied anywhere without surprises.
const UNSAFE = /[/\\:*?"<>|]/gu
// Device names Windows reserves whatever the extension.
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/iu

/**
 * Makes a file name from the wire safe to create in the download folder:
 * never a path (no separators, never `.` or `..`), never hidden (no leading
 * dot), no control or bidi characters, at most {@link MAX_NAME_BYTES} bytes of
 * UTF-8, never empty.
 */
export function sanitiseFileName (name: string, fallback: string = FALLBACK_NAME): string {
  let safe = name.normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(UNSAFE, '_')
    .trim()
    // A leading dot hides the file (and `..` would climb); trailing dots and
    // spaces are silently dropped by Windows, which would make names collide.
    .replace(/^[.\s]+/u, '')
    .replace(/[.\s]+$/u, '')
  if (RESERVED.test(safe)) {
    safe = `_${safe}`
  }
  safe = truncateName(safe, MAX_NAME_BYTES)
  return safe === '' ? fallback : safe
}

/** Shortens a name to `maxBytes` of UTF-8, keeping its extension when it is short, never splitting a character. */
export function truncateName (name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) {
    return name
  }
  const ext = extname(name)
  const keepExt = ext !== '' && Buffer.byteLength(ext) <= maxBytes / 4
  const stem = keepExt ? name.slice(0, -ext.length) : name
  const budget = maxBytes - (keepExt ? Buffer.byteLength(ext) : 0)
  let out = ''
  let used = 0
  for (const char of stem) {
    const size = Buffer.byteLength(char)
    if (used + size > budget) {
      break
    }
    out += char
    used += size
  }
  return out.replace(/[.\s]+$/u, '') + (keepExt ? ext : '')
}

/**
 * The name to try on the `attempt`-th collision: `name.ext`, then
 * `name (1).ext`, `name (2).ext`, … The extension is the last one only, as
 * file managers do (`archive.tar (1).gz`).
 */
export function collisionName (name: string, attempt: number): string {
  if (attempt === 0) {
    return name
  }
  const ext = extname(name)
  const stem = ext === '' ? name : name.slice(0, -ext.length)
  return `${stem} (${attempt})${ext}`
}
