import type { MultiBar, SingleBar } from 'cli-progress'
import { formatBytes, formatDuration, useColour } from './output.ts'

/** The progress a download reports (see src/downloads). */
export interface DownloadProgressView {
  contentId: string
  name: string
  size: number
  received: number
  bytesPerSecond: number
  peers: string[]
}

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
    // Loaded only when there is a terminal to draw on.
    const { MultiBar, Presets } = await import('cli-progress')
    const colour = useColour(process.stderr)
    return new DownloadBars(new MultiBar({
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      format: `{name} ${colour ? '{bar}' : '[{bar}]'} {percentage}% {done}/{size_text} {rate}/s ETA {eta_text} peers {peers}`,
      barsize: 24
    }, colour ? Presets.shades_classic : Presets.legacy))
  }

  /** Updates (or adds) the bar of a download. */
  update (progress: DownloadProgressView): void {
    if (this.multiBar == null) {
      return
    }
    const remaining = progress.size - progress.received
    const payload = {
      name: truncate(progress.name, 28).padEnd(28),
      done: formatBytes(progress.received),
      size_text: formatBytes(progress.size),
      rate: formatBytes(Math.round(progress.bytesPerSecond)),
      eta_text: progress.bytesPerSecond > 0 ? formatDuration(remaining / progress.bytesPerSecond) : '?',
      peers: progress.peers.length
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

function truncate (text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`
}
