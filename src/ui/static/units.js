// Sizes and durations as both the page and the CLI show them: one definition
// for the two. Plain JavaScript because the browser loads the page's modules
// as they are (no build step); cli/output.ts imports it too, typed by units.d.ts.

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

/** "3m 20s"; `unknown` for a duration that is not one (infinite, NaN, negative). */
export function formatDuration (seconds, unknown = '?') {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return unknown
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
