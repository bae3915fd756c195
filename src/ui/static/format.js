// How numbers are shown: the same units as the CLI (KiB, MiB …).

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** "1.5 MiB" */
export function formatBytes (bytes) {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`
}

/** "1.5 MiB/s" */
export function formatRate (bytesPerSecond) {
  return `${formatBytes(Math.round(bytesPerSecond ?? 0))}/s`
}

/** "3m 20s"; "–" when unknown. */
export function formatDuration (seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '–'
  }
  const s = Math.round(seconds)
  if (s < 60) {
    return `${s}s`
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${s % 60}s`
  }
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
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
