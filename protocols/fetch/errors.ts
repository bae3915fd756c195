/** The errors of the fetch protocol: its part of the shared vocabulary (protocols/shared/errors.ts). */
export {
  InvalidMessageError, InvalidTtlError, MessageTooLargeError, RateLimitedError, TooManyRecordsError, TooManyStreamsError, TruncatedMessageError
} from '../shared/errors.ts'
