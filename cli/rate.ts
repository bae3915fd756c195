import { UsageError } from './output.ts'

/** Multipliers of the units a rate may be given in: binary (KiB) and decimal (kB), bytes only. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3
}

/** The smallest rate besides 0 (the daemon's bound, src/config.ts). */
const MIN_RATE = 16_384

/** What a rate may look like, for error messages. */
export const RATE_FORMS = '0 (unlimited), a number of bytes per second, or one with a unit: 500KiB, 2MiB, 1.5GiB, 800kB, 10MB (an optional /s is fine)'

/** Parses a rate such as `500KiB`, `2MiB/s`, `1500000` or `0`; throws a {@link UsageError} naming the accepted forms. */
export function parseRate (input: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*(?:\/\s*s)?\s*$/i.exec(input)
  const unit = match == null ? undefined : UNITS[match[2].toLowerCase()]
  if (match == null || unit == null) {
    throw new UsageError(`${flag} "${input}" is not a rate; give ${RATE_FORMS}`)
  }
  const rate = Math.round(Number(match[1]) * unit)
  if (rate !== 0 && rate < MIN_RATE) {
    throw new UsageError(`${flag} ${input.trim()} is below the smallest rate, 16 KiB (give 0 for unlimited)`)
  }
  return rate
}

/** "2 MiB/s", or "unlimited" for 0. */
export function formatRate (bytesPerSecond: number, formatBytes: (bytes: number) => string): string {
  return bytesPerSecond === 0 ? 'unlimited' : `${formatBytes(bytesPerSecond)}/s`
}
