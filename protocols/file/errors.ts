/** The errors of the file protocol: its part of the shared vocabulary (protocols/shared/errors.ts). */
export { BusyError, ConnectionClosedError, FileUnavailableError, NotFoundError, ProtocolError, RelayLimitedError, TimeoutError } from '../shared/errors.ts'
