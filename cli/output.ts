/**
 * Everything the CLI prints goes through here. Two modes only: human text
 * (tables, colour on a terminal unless NO_COLOR) and `--json` (exactly one
 * JSON value on stdout). Errors go to stderr with an exit code from
 * {@link EXIT_CODES}.
 */

import { PeeritError } from '../src/errors.ts'
// One definition for the CLI and the web page, which loads plain JavaScript only.
import { formatBytes, formatDuration } from '../src/ui/static/units.js'
import { forProgram } from './program-name.ts'

/** The exit codes of every command (docs/cli.md). */
export const EXIT_CODES = {
  ok: 0,
  failed: 1,
  usage: 2,
  notRunning: 3,
  notFound: 4
} as const

const NOT_FOUND_CODES = new Set(['ERR_FILE_NOT_FOUND', 'ERR_AMBIGUOUS_FILE', 'ERR_UNKNOWN_PEER', 'ERR_NOT_FOUND', 'ERR_NO_SUCH_FILE', 'ERR_AMBIGUOUS'])
const USAGE_CODES = new Set(['ERR_CONFIG_MISSING', 'ERR_CONFIG_INVALID', 'ERR_CONFIG_EXISTS', 'ERR_INVALID_PARAMS',
  'ERR_INVALID_PEER_URL', 'ERR_INVALID_TYPE', 'ERR_USAGE', 'ERR_INVALID_QUERY', 'ERR_LISTEN', 'ERR_INVALID_LINK', 'ERR_UI_DISABLED', 'ERR_UI_PORT_IN_USE'])

/** A command line the CLI refuses (exit 2). */
export class UsageError extends PeeritError {
  static readonly code = 'ERR_USAGE'
  constructor (message: string) {
    super('UsageError', UsageError.code, message)
  }
}

/** The exit code for an error, by its stable code. */
export function exitCodeFor (err: { code?: unknown }): number {
  const code = typeof err.code === 'string' ? err.code : ''
  if (code === 'ERR_NOT_RUNNING') {
    return EXIT_CODES.notRunning
  }
  if (NOT_FOUND_CODES.has(code)) {
    return EXIT_CODES.notFound
  }
  if (USAGE_CODES.has(code)) {
    return EXIT_CODES.usage
  }
  return EXIT_CODES.failed
}

/** Whether colour may be used on a stream. */
export function useColour (stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb'
}

function paint (code: number, text: string, stream?: NodeJS.WriteStream): string {
  return useColour(stream) ? `\x1b[${code}m${text}\x1b[0m` : text
}

/** Styles for human output; plain text when colour is off. */
export const style = {
  bold: (text: string, stream?: NodeJS.WriteStream) => paint(1, text, stream),
  dim: (text: string, stream?: NodeJS.WriteStream) => paint(2, text, stream),
  green: (text: string, stream?: NodeJS.WriteStream) => paint(32, text, stream),
  red: (text: string, stream?: NodeJS.WriteStream) => paint(31, text, stream),
  yellow: (text: string, stream?: NodeJS.WriteStream) => paint(33, text, stream)
}

/** Prints the one JSON value of a `--json` run. */
export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Prints human lines to stdout. */
export function printLines (...lines: string[]): void {
  process.stdout.write(forProgram(lines.join('\n')) + '\n')
}

/** Prints a warning to stderr. */
export function warn (message: string): void {
  process.stderr.write(`${style.yellow('warning:', process.stderr)} ${forProgram(message)}\n`)
}

/** Prints rows as an aligned table; `empty` when there are none. */
export function printTable (headers: string[], rows: string[][], empty: string): void {
  if (rows.length === 0) {
    printLines(empty)
    return
  }
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map(row => visibleLength(row[i] ?? ''))))
  const line = (cells: string[]): string => cells.map((cell, i) =>
    i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i] - visibleLength(cell))).join('  ')
  printLines(style.bold(line(headers)), ...rows.map(line))
}

function visibleLength (text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length
}

export { formatBytes, formatDuration }

/** One candidate of an ambiguous name: its id, name, size and who holds it, when known. */
function candidateLine (candidate: { id?: string, contentId?: string, name?: string, size?: number, providers?: string[] }): string {
  const id = String(candidate.id ?? candidate.contentId ?? '').slice(0, 12)
  const size = typeof candidate.size === 'number' ? `  (${formatBytes(candidate.size)})` : ''
  const holders = Array.isArray(candidate.providers) && candidate.providers.length > 0
    ? `  held by ${candidate.providers.slice(0, 2).map(p => shortPeerId(String(p))).join(', ')}${candidate.providers.length > 2 ? ` +${candidate.providers.length - 2}` : ''}`
    : ''
  return `${id}  ${candidate.name ?? ''}${size}${holders}`
}

/** A peer id shortened for tables, as libp2p tools do. */
export function shortPeerId (peerId: string | null): string {
  if (peerId == null) {
    return '(unknown)'
  }
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** Prints an error: one line on stderr (plus candidates, if any); sets the exit code. */
export function reportError (err: any, json: boolean): void {
  const message = forProgram(typeof err?.message === 'string' ? err.message : String(err))
  process.stderr.write(`${style.red('error:', process.stderr)} ${message}\n`)
  const candidates = err?.candidates ?? err?.data?.candidates
  if (Array.isArray(candidates)) {
    for (const c of candidates) {
      process.stderr.write(`  ${candidateLine(c)}\n`)
    }
  }
  if (json) {
    printJson({ error: { code: err?.code ?? 'ERR_UNKNOWN', message, ...(Array.isArray(candidates) ? { candidates } : {}) } })
  }
  process.exitCode = exitCodeFor(err ?? {})
}
