import { setTimeout as sleep } from 'node:timers/promises'
import { withDaemon } from './context.ts'
import { formatBytes, formatDuration, style } from './output.ts'
import { formatRate } from './rate.ts'
import type { GlobalOptions } from './context.ts'

/** A download as the daemon lists it (docs/cli.md, `downloads --json`). */
export interface DownloadEntryView {
  contentId: string
  name: string
  size: number
  received: number
  status: string
  providers: number
  bytesPerSecond: number
  path?: string
  error?: string
}

/** How often the live view asks the daemon. */
const REFRESH_MS = 1000

// Fixed columns; the name takes what is left of the terminal's width (80 at least is assumed).
const COLUMNS = [
  { title: 'ID', width: 8 },
  { title: 'STATUS', width: 11 },
  { title: 'DONE', width: 4, right: true },
  { title: 'SIZE', width: 8, right: true },
  { title: 'RATE', width: 10, right: true },
  { title: 'PEERS', width: 5, right: true },
  { title: 'ETA', width: 7, right: true }
]
const GAP = '  '
const FIXED_WIDTH = COLUMNS.reduce((sum, column) => sum + column.width + GAP.length, 0)

/** The table of downloads, one line each, no line wider than `columns` (80 at the least). */
export function downloadRows (list: DownloadEntryView[], columns: number): string[] {
  if (list.length === 0) {
    return ['No downloads.']
  }
  const nameWidth = Math.max(8, Math.max(80, columns) - 1 - FIXED_WIDTH)
  const line = (cells: string[], name: string): string => cells.map((cell, i) => {
    const { width, right } = COLUMNS[i]
    const fitted = fit(cell, width)
    return right === true ? fitted.padStart(width) : fitted.padEnd(width)
  }).join(GAP) + GAP + fit(name, nameWidth)
  return [
    style.bold(line(COLUMNS.map(column => column.title), 'NAME')),
    ...list.map(d => line([
      d.contentId.slice(0, 8),
      d.status,
      d.size === 0 ? (d.status === 'completed' ? '100%' : '-') : `${Math.floor(d.received * 100 / d.size)}%`,
      formatBytes(d.size),
      d.status === 'active' ? `${formatBytes(d.bytesPerSecond)}/s` : '-',
      d.status === 'active' ? String(d.providers) : '-',
      d.status === 'active' && d.bytesPerSecond > 0 ? formatDuration((d.size - d.received) / d.bytesPerSecond) : '-'
    ], d.name))
  ]
}

/** What the live view's header shows besides the downloads. */
interface NodeFigures { connectedPeers: number, uploadedBytes: number }
interface LimitsView { uploadBytesPerSecond: number, downloadBytesPerSecond: number }

/**
 * `peerit downloads --watch`: redraws the downloads every second, like `top`.
 * On a terminal it takes the alternate screen and hides the cursor, and gives
 * both back on `q`, Ctrl-C or an error; elsewhere (a pipe) it prints a
 * snapshot each second until interrupted.
 */
export async function watchDownloads (argv: GlobalOptions): Promise<void> {
  const tty = process.stdout.isTTY === true
  const quit = new AbortController()
  const onSignal = (): void => { quit.abort() }
  const onKey = (key: Buffer): void => {
    const text = key.toString()
    if (text === 'q' || text === 'Q' || text === '\u0003') {
      quit.abort()
    }
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const keys = tty && process.stdin.isTTY === true
  if (keys) {
    process.stdin.setRawMode(true)
    process.stdin.on('data', onKey)
    process.stdin.resume()
  }
  if (tty) {
    process.stdout.write('\x1b[?1049h\x1b[?25l')
  }
  try {
    await withDaemon(argv, async client => {
      let previous: { at: number, uploaded: number } | undefined
      while (!quit.signal.aborted) {
        const [list, node, limits] = await Promise.all([
          client.call<DownloadEntryView[]>('downloads'),
          client.call<NodeFigures>('status'),
          client.call<LimitsView>('limits')
        ])
        const now = Date.now()
        const uploadRate = previous == null ? 0 : Math.max(0, (node.uploadedBytes - previous.uploaded) * 1000 / Math.max(1, now - previous.at))
        previous = { at: now, uploaded: node.uploadedBytes }
        const frame = [
          header(list, node, limits, uploadRate, keys),
          '',
          ...downloadRows(list, process.stdout.columns ?? 80)
        ]
        process.stdout.write(tty ? `\x1b[H\x1b[2J${frame.join('\n')}\n` : `${frame.join('\n')}\n\n`)
        await sleep(REFRESH_MS, undefined, { signal: quit.signal }).catch(() => {})
      }
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (keys) {
      process.stdin.off('data', onKey)
      process.stdin.setRawMode(false)
      process.stdin.pause()
    }
    if (tty) {
      process.stdout.write('\x1b[?25h\x1b[?1049l')
    }
  }
}

function header (list: DownloadEntryView[], node: NodeFigures, limits: LimitsView, uploadRate: number, keys: boolean): string {
  const active = list.filter(d => d.status === 'active')
  const down = active.reduce((sum, d) => sum + d.bytesPerSecond, 0)
  const limit = (rate: number): string => rate === 0 ? '' : ` (max ${formatRate(rate, formatBytes)})`
  const parts = [
    `${active.length} active`,
    `down ${formatBytes(down)}/s${limit(limits.downloadBytesPerSecond)}`,
    `up ${formatBytes(Math.round(uploadRate))}/s${limit(limits.uploadBytesPerSecond)}`,
    `${node.connectedPeers} peers`
  ]
  return fit(`${parts.join(' · ')}${keys ? ' · q quits' : ''}`, 79)
}

function fit (text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`
}
