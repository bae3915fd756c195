/**
 * Errors of the fetch protocol. Callers test `err.name` (or the `code`), never
 * the message text.
 */

/** A frame that does not decode, misses a required field or breaks a field bound. */
export class InvalidMessageError extends Error {
  static readonly code = 'ERR_INVALID_MESSAGE'
  readonly code = InvalidMessageError.code
  override readonly name = 'InvalidMessageError'
}

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

/** A peer already has as many fetch streams open to us as it may. */
export class TooManyStreamsError extends Error {
  static readonly code = 'ERR_TOO_MANY_STREAMS'
  readonly code = TooManyStreamsError.code
  override readonly name = 'TooManyStreamsError'
}

/** A hop's time budget ran out before the neighbour finished answering. */
export class DeadlineExceededError extends Error {
  static readonly code = 'ERR_DEADLINE_EXCEEDED'
  readonly code = DeadlineExceededError.code
  override readonly name = 'DeadlineExceededError'
}

/** A peer sent more requests than its per-minute allowance; the stream is aborted unread. */
export class RateLimitedError extends Error {
  static readonly code = 'ERR_RATE_LIMITED'
  readonly code = RateLimitedError.code
  override readonly name = 'RateLimitedError'
}
