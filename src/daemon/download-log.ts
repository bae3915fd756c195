import type { DownloadEntry, DownloadResult } from '../downloads/index.ts'

/** The daemon log's line for a download that changed status; undefined for `completed` (see {@link finishedLogLine}). */
export function statusLogLine (entry: DownloadEntry): string | undefined {
  const file = `${JSON.stringify(entry.name)} (${entry.contentId.slice(0, 12)})`
  const at = `at ${entry.received} of ${entry.size} bytes`
  switch (entry.status) {
    case 'queued': return `download queued: ${file}`
    case 'active': return entry.received > 0 ? `download resumed: ${file} ${at}` : `download started: ${file}, ${entry.size} bytes`
    case 'paused': return `download paused: ${file} ${at}`
    case 'interrupted': return `download interrupted: ${file} ${at}${entry.error == null ? '' : `: ${entry.error}`}`
    case 'failed': return `download failed: ${file} ${at}: ${entry.error ?? 'unknown error'} (the part file is kept)`
    case 'cancelled': return `download cancelled: ${file}`
    case 'completed': return undefined
  }
}

/** The daemon log's line for a completed download: the file, its size, and who sent it. */
export function finishedLogLine (result: DownloadResult): string {
  const file = `${JSON.stringify(result.name)} (${result.contentId.slice(0, 12)})`
  const from = result.size === 0
    ? 'an empty file, nothing to fetch'
    : `from ${result.providers.length} peer${result.providers.length === 1 ? '' : 's'}${result.providers.length === 0 ? '' : ` (${result.providers.join(', ')})`}`
  return `download finished: ${file}, ${result.size} bytes ${from} -> ${result.path}`
}
