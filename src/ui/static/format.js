// How numbers are shown: the same units as the CLI (units.js serves both).
import { formatBytes, formatDuration as duration } from './units.js'

export { formatBytes }

/** "1.5 MiB/s" */
export function formatRate (bytesPerSecond) {
  return `${formatBytes(Math.round(bytesPerSecond ?? 0))}/s`
}

/** "3m 20s"; "–" when unknown. */
export function formatDuration (seconds) {
  return duration(seconds, '–')
}

/** A peer id shortened for a table cell, as `peerit list peers` does. */
export function shortPeerId (peerId) {
  if (peerId == null) {
    return '(unknown)'
  }
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** "since 10:42:03" style time of day for a timestamp (ms). */
export function timeOfDay (ms) {
  return ms == null ? '–' : new Date(ms).toLocaleTimeString()
}

/** A `<td>` with text (never HTML: names come from the network). */
export function cell (text, className) {
  const td = document.createElement('td')
  td.textContent = text
  if (className != null) {
    td.className = className
  }
  return td
}

/** A `<button>` with a label and data attributes for delegated clicks. */
export function button (label, data = {}, className) {
  const b = document.createElement('button')
  b.type = 'button'
  b.textContent = label
  Object.assign(b.dataset, data)
  if (className != null) {
    b.className = className
  }
  return b
}
