/**
 * Downloads: verified, multi-source, resumable. The node builds one
 * {@link DownloadManager}; everything else in this folder is internal.
 */
export { DownloadManager } from './download-manager.ts'
export { DEFAULT_TUNABLES } from './constants.ts'
export {
  NoProvidersError, DiskFullError, DownloadWriteError, InvalidDownloadError, DownloadAbortedError, DownloadPausedError,
  DownloadCancelledError, DownloadNotFoundError, AmbiguousDownloadError
} from './errors.ts'
export { sanitiseFileName, collisionName } from './file-names.ts'
export type * from './types.ts'
