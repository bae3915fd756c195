import { formatBytes, formatDuration, useColour } from './output.ts'
import type { MultiBar, SingleBar } from 'cli-progress'

/** The progress a download reports (see src/downloads). */
export interface DownloadProgressView {
  contentId: string
  name: string
  size: number
  received: number
  /** `queued` while it waits for a slot; older daemons do not send it. */
  status?: 'queued' | 'active'
  bytesPerSecond: number
  peers: string[]
}

// Widths that keep one bar within 80 columns: name 16, bar 14, 4, 8, 10, info 20, and the spaces.
const NAME_WIDTH = 16
const INFO_WIDTH = 20

/**
 * One progress bar per download on a terminal (stderr), none otherwise: a
 * pipe or `--json` gets only the final result.
 */
export class DownloadBars {
  private readonly multiBar?: MultiBar
  private readonly bars = new Map<string, SingleBar>()

  private constructor (multiBar?: MultiBar) {
    this.multiBar = multiBar
  }

  /** Bars on stderr when it is a terminal and `enabled`; a silent stand-in otherwise. */
  static async create (enabled: boolean): Promise<DownloadBars> {
    if (!enabled || process.stderr.isTTY !== true) {
      return new DownloadBars()
    }
    // Loaded only when there is a terminal to draw on. cli-progress is CommonJS: its exports are the
    // namespace's `default` both in Node and in the split bundle (whose chunk exports only a default).
    const { MultiBar, Presets } = (await import('cli-progress')).default
    const colour = useColour(process.stderr)
    return new DownloadBars(new MultiBar({
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      format: `{name} ${colour ? '{bar}' : '[{bar}]'} {pct} {size_text} {rate} {info}`,
      barsize: colour ? 14 : 12
    }, colour ? Presets.shades_classic : Presets.legacy))
  }

  /** Updates (or adds) the bar of a download. */
  update (progress: DownloadProgressView): void {
    if (this.multiBar == null) {
      return
    }
    const payload = {
      name: truncate(progress.name, NAME_WIDTH).padEnd(NAME_WIDTH),
      pct: `${progress.size === 0 ? 100 : Math.floor(progress.received * 100 / progress.size)}%`.padStart(4),
      size_text: formatBytes(progress.size).padStart(8),
      rate: (progress.status === 'queued' ? '' : `${formatBytes(Math.round(progress.bytesPerSecond))}/s`).padStart(10),
      info: truncate(info(progress), INFO_WIDTH)
    }
    const bar = this.bars.get(progress.contentId)
    if (bar == null) {
      this.bars.set(progress.contentId, this.multiBar.create(Math.max(1, progress.size), progress.received, payload))
    } else {
      bar.update(progress.received, payload)
    }
  }

  /** Removes the bars before the final lines are printed. */
  stop (): void {
    this.multiBar?.stop()
  }
}

/** Queued, done, or the ETA and the peers sending now. */
function info (progress: DownloadProgressView): string {
  if (progress.status === 'queued') {
    return 'queued'
  }
  if (progress.received >= progress.size) {
    return 'done'
  }
  const eta = progress.bytesPerSecond > 0 ? formatDuration((progress.size - progress.received) / progress.bytesPerSecond) : '?'
  const peers = progress.peers.length
  return `ETA ${eta}, ${peers} peer${peers === 1 ? '' : 's'}`
}

function truncate (text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
