/** The peer does not share a file with this content id. */
export class NotFoundError extends Error {
  static readonly code = 'ERR_NOT_FOUND'
  readonly code = NotFoundError.code
  constructor (message = 'the peer does not share this file') {
    super(message)
    this.name = 'NotFoundError'
  }
}

/** The peer shares the file but its copy changed or vanished since it was indexed. */
export class FileUnavailableError extends Error {
  static readonly code = 'ERR_FILE_UNAVAILABLE'
  readonly code = FileUnavailableError.code
  constructor (message = 'the peer\'s copy of this file changed or vanished') {
    super(message)
    this.name = 'FileUnavailableError'
  }
}

/** The peer broke the protocol: a malformed message, too many or too few bytes, or it rejected our request. */
export class ProtocolError extends Error {
  static readonly code = 'ERR_PROTOCOL'
  readonly code = ProtocolError.code
  constructor (message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}

/** The peer refused the request because its concurrency limits are reached; try later or elsewhere. */
export class BusyError extends Error {
  static readonly code = 'ERR_BUSY'
  readonly code = BusyError.code
  constructor (message = 'the peer is busy') {
    super(message)
    this.name = 'BusyError'
  }
}

/**
 * No byte moved on a request for longer than its idle timeout. Named like
 * libp2p's and `AbortSignal.timeout`'s errors so one `name` check covers all.
 */
export class TimeoutError extends Error {
  static readonly code = 'ERR_TIMEOUT'
  readonly code = TimeoutError.code
  constructor (ms: number) {
    super(`no data moved for ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/**
 * The only way to the peer is a relay that limits each connection (a public
 * relay's default is 128 KiB and 2 minutes): it carries signalling, not files,
 * so the request is not even tried there.
 */
export class RelayLimitedError extends Error {
  static readonly code = 'ERR_RELAY_LIMITED'
  readonly code = RelayLimitedError.code
  constructor (peer: string, limits: { bytes?: bigint, seconds?: number }) {
    const limit = [limits.bytes == null ? undefined : `${limits.bytes} bytes`, limits.seconds == null ? undefined : `${limits.seconds} s`].filter(part => part != null).join(' / ')
    super(`peer ${peer} is reachable only through a relay that limits each connection${limit === '' ? '' : ` (${limit})`}, too little for a file; a PeerIT relay (relay_server) has no such limit`)
    this.name = 'RelayLimitedError'
  }
}
