/**
 * Errors a caller of the node may want to handle. Callers test `err.code`
 * (or `err.name`), never the message; the CLI turns each into a sentence that
 * says what to do next.
 */
export class PeeritError extends Error {
  readonly code: string

  constructor (name: string, code: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = name
    this.code = code
  }
}

/** The node is not running (or its IPC socket does not answer). */
export class NotRunningError extends PeeritError {
  static readonly code = 'ERR_NOT_RUNNING'
  constructor (message = 'the PeerIT node is not running: start it with `peerit start`') {
    super('NotRunningError', NotRunningError.code, message)
  }
}

/** A second node tried to start on a state folder that a running node holds. */
export class AlreadyRunningError extends PeeritError {
  static readonly code = 'ERR_ALREADY_RUNNING'
  constructor (message: string) {
    super('AlreadyRunningError', AlreadyRunningError.code, message)
  }
}

/** The listening address could not be bound (port in use, address not local…). */
export class ListenError extends PeeritError {
  static readonly code = 'ERR_LISTEN'
  /** The address that failed and the system's errno for it (EADDRINUSE, EADDRNOTAVAIL, EACCES…), when known. */
  readonly failure?: { host: string, port: number, reason?: string }
  constructor (message: string, options?: ErrorOptions & { failure?: { host: string, port: number, reason?: string } }) {
    super('ListenError', ListenError.code, message, options)
    if (options?.failure != null) {
      this.failure = options.failure
    }
  }
}

/** Dialling a peer failed. */
export class DialError extends PeeritError {
  static readonly code = 'ERR_DIAL'
  constructor (message: string, options?: ErrorOptions) {
    super('DialError', DialError.code, message, options)
  }
}

/** No contact or connected peer matches what the user named. */
export class UnknownPeerError extends PeeritError {
  static readonly code = 'ERR_UNKNOWN_PEER'
  constructor (message: string) {
    super('UnknownPeerError', UnknownPeerError.code, message)
  }
}

/** A file name, id or id prefix named no file, or named several. */
export class FileNotFoundError extends PeeritError {
  static readonly code = 'ERR_FILE_NOT_FOUND'
  constructor (message: string) {
    super('FileNotFoundError', FileNotFoundError.code, message)
  }
}

/** Several discovered files match a name or id prefix; `candidates` lists them. */
export class AmbiguousFileError extends PeeritError {
  static readonly code = 'ERR_AMBIGUOUS_FILE'
  readonly candidates: Array<{ id: string, name: string, size: number, providers?: string[] }>
  constructor (message: string, candidates: Array<{ id: string, name: string, size: number, providers?: string[] }>) {
    super('AmbiguousFileError', AmbiguousFileError.code, message)
    this.candidates = candidates
  }
}

/** A request's parameters are malformed. */
export class InvalidParamsError extends PeeritError {
  static readonly code = 'ERR_INVALID_PARAMS'
  constructor (message: string) {
    super('InvalidParamsError', InvalidParamsError.code, message)
  }
}
