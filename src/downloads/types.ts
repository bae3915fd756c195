import type { Manifest, PeeritFile } from '../../protocols/file/index.ts'
import type { Section } from '../store.ts'
import type { ComponentLogger } from '@libp2p/interface'

/** What to download: a content id and the name to save it under (sanitised before use). */
export interface DownloadRequest {
  contentId: string
  name: string
  /** The size announced by discovery; only shown until the verified manifest says the real one. */
  size?: number
  /** The size the file must have (a link's `size=`): a manifest that disagrees fails the download. */
  expectedSize?: number
  /** Peer ids to download from, and only these. */
  from?: string[]
}

/** How far a download is: what {@link DownloadProgress} and {@link DownloadState} share. */
export interface DownloadFigures {
  contentId: string
  name: string
  size: number
  /** Bytes of verified pieces. */
  received: number
  piecesDone: number
  pieceCount: number
}

/** A download's progress, as `onProgress` receives it. */
export interface DownloadProgress extends DownloadFigures {
  /** `queued` while it waits for a slot (see `maxParallelDownloads`), then `active`. */
  status: 'queued' | 'active'
  /** Providers with a request in flight. */
  peers: string[]
  /** Verified bytes per second over the last few seconds (a moving window). */
  bytesPerSecond: number
}

/**
 * Where a download stands. `queued`: waiting for a slot; `active`: running;
 * `paused`: stopped by the user, kept until resumed (also across restarts);
 * `interrupted`: stopped by a shutdown, a crash or a lack of providers, resumed
 * when the node starts; `failed`: stopped by an error the user must fix (a full
 * disk), resumable after; `completed` and `cancelled`: history.
 */
export type DownloadStatus = 'queued' | 'active' | 'paused' | 'interrupted' | 'failed' | 'completed' | 'cancelled'

/** A download as `downloads` lists it and the `download:status` event carries it. */
export interface DownloadEntry {
  contentId: string
  name: string
  size: number
  /** Bytes of verified pieces. */
  received: number
  status: DownloadStatus
  /** Peers sending pieces right now. */
  providers: number
  bytesPerSecond: number
  /** The final path, once completed. */
  path?: string
  /** Why it failed or was interrupted, as a sentence. */
  error?: string
}

/** What pause, resume, cancel and a detached download answer for each download they touched. */
export interface DownloadChange {
  contentId: string
  name: string
  /** The status after the call. */
  status: DownloadStatus
}

/** Which downloads pause, resume or cancel act on: names or content-id prefixes, or all of them. */
export interface DownloadSelector {
  targets?: string[]
  all?: boolean
}

/** Options of {@link DownloadManager.download}. */
export interface DownloadOptions {
  /** Aborting it makes this caller leave; the download stops (resumable) when its last caller leaves. */
  signal?: AbortSignal
  /** Called at most every `progressIntervalMs` while pieces arrive, and once at the end of the fetch. */
  onProgress?: (progress: DownloadProgress) => void
}

/** A finished download. */
export interface DownloadResult {
  contentId: string
  /** The file's name as saved: sanitised, with ` (1)` … after a collision. */
  name: string
  /** The final path in the download folder (after collision naming). */
  path: string
  size: number
  /** Peer ids that supplied verified pieces in this run. */
  providers: string[]
}

/** A download as {@link DownloadManager.list} shows it. */
export interface DownloadState extends DownloadFigures {
  /** `active`: running (or queued) in this process; `interrupted`: stopped, resumable; `failed`: stopped by an error the user must fix (a full disk), resumable after. */
  status: 'active' | 'interrupted' | 'failed'
  partPath: string
  error?: string
}

/** Tunables of a {@link DownloadManager}; each has a default in `constants.ts`. */
export interface DownloadTunables {
  /** Downloads running at once; more wait their turn. */
  maxParallelDownloads: number
  /** Providers used at once by one download. */
  maxPeersPerDownload: number
  /**
   * Most pieces asked for in one request. A provider whose rate is known is
   * asked for about `requestSeconds` of its pieces (fewer, longer streams for
   * a fast one, short runs for a slow one); this caps it.
   */
  piecesPerRequest: number
  /** About how long one request to a provider should take at its measured rate. */
  requestSeconds: number
  /** Requests in flight to one provider at once (pipelining). */
  maxRequestsPerPeer: number
  /** Bytes asked for and not yet written, over all downloads: bounds memory whatever the file size. */
  maxBytesInFlight: number
  /** A request that delivers no piece for this long is given to another provider. */
  stallTimeoutMs: number
  /**
   * End game: once every piece is claimed, an idle provider takes over the back
   * half of a run another provider is still delivering, or the whole of one
   * that delivered nothing for this long.
   */
  endGameAfterMs: number
  /** Timeout of one manifest request. */
  manifestTimeoutMs: number
  /** Failed requests after which a provider is left out until the next round. */
  maxPeerFailures: number
  /** First back-off after a failure; it doubles each time, up to `maxRetryBackoffMs`. */
  retryBackoffMs: number
  maxRetryBackoffMs: number
  /** Rounds of asking `providers()` again without any progress before failing with NoProvidersError. */
  maxProviderRounds: number
  /** … or two such rounds once this long has passed without progress (a search still running is cut short). */
  noProgressTimeoutMs: number
  /** Verified pieces are flushed and recorded at least this often … */
  persistIntervalMs: number
  /** … or every this many pieces, whichever comes first. */
  persistEveryPieces: number
  /** Progress events are sent at most this often. */
  progressIntervalMs: number
}

/** What a {@link DownloadManager} is built from. */
export interface DownloadManagerInit extends Partial<DownloadTunables> {
  file: PeeritFile
  /** The store's `downloads` section; the manager owns its keys. */
  section: Section<unknown>
  downloadDir: string
  /**
   * Current candidate providers (peer id strings) of a content id, asked again when
   * the providers run out; with `only` (a `from` list) it returns those peers, made dialable.
   */
  providers: (contentId: string, only?: string[], signal?: AbortSignal) => Promise<string[]>
  logger: ComponentLogger
  /** Total download rate in bytes per second; 0 (the default) = unlimited. Changed later with `setRate`. */
  bytesPerSecond?: number
  /** Told whenever a download's status changes; must not throw. */
  onStatus?: (entry: DownloadEntry) => void
  /** Told when a download completes, with the peers that supplied it and its verified manifest; must not throw. */
  onFinished?: (result: DownloadResult, manifest: Manifest) => void
  /** Interrupted downloads resume on their own (auto-resume.ts), after these waits; `false` turns that off. */
  autoResume?: { firstDelayMs?: number, maxDelayMs?: number } | false
}

/** What {@link DownloadManager.resumeAll} did with every stored download. */
export interface ResumeOutcome {
  completed: DownloadResult[]
  failed: Array<{ contentId: string, name: string, error: string, code?: string }>
}
