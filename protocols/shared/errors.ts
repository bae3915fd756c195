/**
 * The one error vocabulary of PeerIT's protocols. Where libp2p already has
 * the error (`ConnectionClosedError`, `InvalidMessageError`, `NotFoundError`,
 * `ProtocolError`, `TimeoutError`), its own class is used, so a check on `err.name` means the
 * same for our errors and libp2p's. The rest carry a stable `name` and `code`,
 * never a name libp2p uses. Callers test `err.name`, never the message text.
 */
export { ConnectionClosedError, InvalidMessageError, NotFoundError, ProtocolError, TimeoutError } from '@libp2p/interface'

/** A frame whose length prefix announces more than the configured maximum. */
export class MessageTooLargeError extends Error {
  static readonly code = 'ERR_MESSAGE_TOO_LARGE'
  readonly code = MessageTooLargeError.code
  override readonly name = 'MessageTooLargeError'
}

/** The stream ended in the middle of a frame. */
export class TruncatedMessageError extends Error {
  static readonly code = 'ERR_TRUNCATED_MESSAGE'
  readonly code = TruncatedMessageError.code
  override readonly name = 'TruncatedMessageError'
}

/** A TTL of 0 (or hops already at the cap): there is nothing left to do with the request. */
export class InvalidTtlError extends Error {
  static readonly code = 'ERR_INVALID_TTL'
  readonly code = InvalidTtlError.code
  override readonly name = 'InvalidTtlError'
}

/** A neighbour sent more record frames than one stream or one fetch may carry. */
export class TooManyRecordsError extends Error {
  static readonly code = 'ERR_TOO_MANY_RECORDS'
  readonly code = TooManyRecordsError.code
  override readonly name = 'TooManyRecordsError'
}

/** A peer already has as many streams of a protocol open to us as it may. */
export class TooManyStreamsError extends Error {
  static readonly code = 'ERR_TOO_MANY_STREAMS'
  readonly code = TooManyStreamsError.code
  override readonly name = 'TooManyStreamsError'
}

/** A peer sent more requests than its per-minute allowance; the stream is aborted unread. */
export class RateLimitedError extends Error {
  static readonly code = 'ERR_RATE_LIMITED'
  readonly code = RateLimitedError.code
  override readonly name = 'RateLimitedError'
}

/** The peer shares the file but its copy changed or vanished since it was indexed. */
export class FileUnavailableError extends Error {
  static readonly code = 'ERR_FILE_UNAVAILABLE'
  readonly code = FileUnavailableError.code
  override readonly name = 'FileUnavailableError'
  constructor (message = 'the peer\'s copy of this file changed or vanished') {
    super(message)
  }
}

/** The peer refused the request because its concurrency limits are reached; try later or elsewhere. */
export class BusyError extends Error {
  static readonly code = 'ERR_BUSY'
  readonly code = BusyError.code
  override readonly name = 'BusyError'
  constructor (message = 'the peer is busy') {
    super(message)
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
  override readonly name = 'RelayLimitedError'
  constructor (peer: string, limits: { bytes?: bigint, seconds?: number }) {
    const limit = [limits.bytes == null ? undefined : `${limits.bytes} bytes`, limits.seconds == null ? undefined : `${limits.seconds} s`].filter(part => part != null).join(' / ')
    super(`peer ${peer} is reachable only through a relay that limits each connection${limit === '' ? '' : ` (${limit})`}, too little for a file; a PeerIT relay (relay_server) has no such limit`)
  }
}
