/** The error every config module throws, and how a rejected value is shown in it. */

/** The stable codes of {@link ConfigError}. */
export const ConfigErrorCode = {
  missing: 'ERR_CONFIG_MISSING',
  invalid: 'ERR_CONFIG_INVALID',
  exists: 'ERR_CONFIG_EXISTS'
} as const

/** One of {@link ConfigErrorCode}'s values. */
export type ConfigErrorCode = typeof ConfigErrorCode[keyof typeof ConfigErrorCode]

/** Thrown when a config file is missing, unreadable or invalid, or when `init` would overwrite one. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode
  /** The config file concerned (absolute). */
  readonly path: string
  /** The file key at fault (e.g. `listening_port`), when one is. */
  readonly key?: string
  constructor (code: ConfigErrorCode, message: string, path: string, key?: string) {
    super(message)
    this.name = 'ConfigError'
    this.code = code
    this.path = path
    if (key != null) {
      this.key = key
    }
  }
}

/** A short rendering of a rejected value for an error message. */
export function describeValue (value: unknown): string {
  let text: string
  try {
    // String() for numbers so NaN (from a flag like `--port abc`) does not print as JSON's null.
    text = Array.isArray(value) ? 'an array' : typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value)
  } catch {
    // JSON.stringify recurses: an object nested thousands deep (which JSON.parse accepts) overflows the stack.
    text = 'a deeply nested object'
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
