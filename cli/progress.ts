import { MultiBar, Presets } from 'cli-progress'
import type { SingleBar } from 'cli-progress'
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

  constructor (enabled: boolean) {
    if (enabled && process.stderr.isTTY === true) {
      const colour = useColour(process.stderr)
      this.multiBar = new MultiBar({
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        format: `{name} ${colour ? '{bar}' : '[{bar}]'} {percentage}% {done}/{total} {rate}/s ETA {eta_text} peers {peers}`,
        barsize: 24
      }, colour ? Presets.shades_classic : Presets.legacy)
    }
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
      total: formatBytes(progress.size),
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
