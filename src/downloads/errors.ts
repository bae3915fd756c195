/** Thrown when no provider is left that can supply the missing pieces; the download stays resumable. */
export class NoProvidersError extends Error {
  static readonly code = 'ERR_NO_PROVIDERS'
  readonly code = NoProvidersError.code
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'NoProvidersError'
  }
}

/** Thrown when the download folder's disk is full (ENOSPC, EDQUOT); the verified pieces are kept. */
export class DiskFullError extends Error {
  static readonly code = 'ERR_DISK_FULL'
  readonly code = DiskFullError.code
  constructor (path: string, options?: ErrorOptions) {
    super(`no space left on the disk while writing ${path}; free some space and resume the download`, options)
    this.name = 'DiskFullError'
  }
}

/** Thrown when a part file cannot be written for another reason than a full disk. */
export class DownloadWriteError extends Error {
  static readonly code = 'ERR_WRITE_FAILED'
  readonly code = DownloadWriteError.code
  constructor (path: string, options?: ErrorOptions) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`could not write ${path}${reason}`, options)
    this.name = 'DownloadWriteError'
  }
}

/** Thrown when a download is given something it cannot act on (a malformed content id, an empty `from`). */
export class InvalidDownloadError extends Error {
  static readonly code = 'ERR_INVALID_DOWNLOAD'
  readonly code = InvalidDownloadError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidDownloadError'
  }
}

/** Thrown to a caller whose download was stopped (by its signal or by {@link DownloadManager.stop}); the state is kept. */
export class DownloadAbortedError extends Error {
  static readonly code = 'ERR_DOWNLOAD_ABORTED'
  readonly code = DownloadAbortedError.code
  constructor (contentId: string) {
    super(`download of ${contentId} was stopped; it can be resumed`)
    this.name = 'AbortError'
  }
}

/** Turns a failed file-system write into the download error a caller can act on. */
export function toWriteError (err: unknown, path: string): Error {
  const code = errorCode(err)
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DiskFullError(path, { cause: err })
  }
  return new DownloadWriteError(path, { cause: err })
}

/** The `code` of a Node.js system error (`ENOENT`, `ENOSPC`, …), if it has one. */
export function errorCode (err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** A provider sent a piece that does not match the manifest (or out of order); it is banned for the download. */
export class BadPieceError extends Error {
  static readonly code = 'ERR_BAD_PIECE'
  readonly code = BadPieceError.code
  constructor (message: string) {
    super(message)
    this.name = 'BadPieceError'
  }
}

/** A provider delivered no piece for longer than the stall timeout; its pieces go to another provider. */
export class StallError extends Error {
  static readonly code = 'ERR_STALLED'
  readonly code = StallError.code
  constructor (peer: string, ms: number) {
    super(`${peer} delivered no piece for ${ms} ms`)
    this.name = 'StallError'
  }
}

/** Thrown to a caller whose download was paused (`pause`, or its last watcher left); the part file and state are kept. */
export class DownloadPausedError extends Error {
  static readonly code = 'ERR_DOWNLOAD_PAUSED'
  readonly code = DownloadPausedError.code
  readonly contentId: string
  constructor (contentId: string, name: string) {
    super(`${name} is paused; resume it with \`peerit resume ${contentId.slice(0, 12)}\``)
    this.name = 'DownloadPausedError'
    this.contentId = contentId
  }
}

/** Thrown to a caller whose download was cancelled; its part file and state are gone. */
export class DownloadCancelledError extends Error {
  static readonly code = 'ERR_DOWNLOAD_CANCELLED'
  readonly code = DownloadCancelledError.code
  constructor (contentId: string, name: string) {
    super(`the download of ${name} (${contentId.slice(0, 12)}) was cancelled`)
    this.name = 'DownloadCancelledError'
  }
}

/** No download the node knows matches a name or content-id prefix. */
export class DownloadNotFoundError extends Error {
  static readonly code = 'ERR_NOT_FOUND'
  readonly code = DownloadNotFoundError.code
  constructor (message: string) {
    super(message)
    this.name = 'DownloadNotFoundError'
  }
}

/** Several downloads match a name or content-id prefix; `candidates` lists them. */
export class AmbiguousDownloadError extends Error {
  static readonly code = 'ERR_AMBIGUOUS'
  readonly code = AmbiguousDownloadError.code
  readonly candidates: Array<{ contentId: string, name: string }>
  constructor (message: string, candidates: Array<{ contentId: string, name: string }>) {
    super(message)
    this.name = 'AmbiguousDownloadError'
    this.candidates = candidates
  }
}

/** The manifest's size is not the size the download was asked for (a link that lies or is stale). */
export class SizeMismatchError extends Error {
  static readonly code = 'ERR_SIZE_MISMATCH'
  readonly code = SizeMismatchError.code
  constructor (expected: number, actual: number) {
    super(`the file is ${actual} bytes long, not the ${expected} bytes the link says: the link is wrong or names another file`)
    this.name = 'SizeMismatchError'
  }
}

/**
 * What a download that ran out of providers tells whoever followed it: it is
 * interrupted, not failed, its part file is kept, and what happens next (it
 * resumes by itself when auto-resume is on).
 */
export function interruptedError (name: string, cause: NoProvidersError, autoResume: boolean): NoProvidersError {
  const next = autoResume
    ? `it resumes by itself once a provider is reachable: watch it with \`peerit downloads\`, or try now with \`peerit resume ${shellWord(name)}\``
    : `resume it with \`peerit resume ${shellWord(name)}\` once a provider is reachable (\`peerit fetch\` may find more)`
  return new NoProvidersError(`interrupted, not failed (${cause.message}); its .part file is kept and ${next}`, { cause })
}

/** `word` as a shell would need it typed: quoted when it holds spaces or shell characters. */
function shellWord (word: string): string {
  return /^[\w.,@%+=:/-]+$/u.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}
