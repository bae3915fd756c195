import { readFileSync } from 'node:fs'

/**
 * This package's version, from its package.json: two folders up from the
 * compiled `dist/src/`, one up from `src/`.
 */
export const PEERIT_VERSION: string = readVersion()

function readVersion (): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8'))
      if (pkg.name === 'peerit') {
        return pkg.version
      }
    } catch {}
  }
  return '0.0.0'
}
