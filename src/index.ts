/**
 * PeerIT as a library: the same node the daemon hosts, for any Node program.
 *
 * ```ts
 * import { createPeerNode } from 'peerit'
 * const node = await createPeerNode({ stateDir, sharedDir, downloadDir })
 * await node.start()
 * ```
 *
 * Everything not exported here is internal and may change.
 */
export { createPeerNode } from './peer-node.ts'
export type {
  PeerNode, PeerNodeOptions, PeerNodeEvents, PeerInfo, NodeStatus, NodeFetchOptions, NodeDownloadOptions, NodeDownloadResult,
  TransferLimits
} from './peer-node.ts'
export {
  PeeritError, NotRunningError, AlreadyRunningError, ListenError, DialError, UnknownPeerError, FileNotFoundError,
  AmbiguousFileError, InvalidParamsError
} from './errors.ts'
export { ConfigError, loadConfig, resolveConfigPath, writeInitialConfig, CONFIG_FILE_NAME } from './config.ts'
export type { PeerConfig, InitOptions } from './config.ts'
export { parsePeerUrl, InvalidPeerUrlError } from './peer-url.ts'
export type { PeerUrl } from './peer-url.ts'
export { listenAddress } from './libp2p.ts'
export type { BlockedPeer } from './block-list.ts'
export type { BlockResult } from './peer-node.ts'
export type { SyncResult, SharedFile } from './shared-index.ts'
export type { DiscoveredFile, Provider } from './discovered-files.ts'
export type { SearchQuery, FileKind } from './search/index.ts'
export { FILE_KINDS, fileKindOf, InvalidQueryError, InvalidTypeFilterError } from './search/index.ts'
export type { DownloadProgress, DownloadResult, DownloadState, DownloadEntry, DownloadStatus, DownloadChange, DownloadSelector } from './downloads/index.ts'
export {
  NoProvidersError, DiskFullError, DownloadAbortedError, DownloadPausedError, DownloadCancelledError, DownloadNotFoundError,
  AmbiguousDownloadError
} from './downloads/index.ts'
export { peeritFetch, PROTOCOL as FETCH_PROTOCOL } from '../protocols/fetch/index.ts'
export type { PeeritFetch, PeeritFetchInit, FetchQuery, FetchResult, ProviderRecord, SharedFileEntry } from '../protocols/fetch/index.ts'
export { peeritFile, PROTOCOL as FILE_PROTOCOL, hashFile } from '../protocols/file/index.ts'
export type { PeeritFile, PeeritFileInit, Manifest } from '../protocols/file/index.ts'
