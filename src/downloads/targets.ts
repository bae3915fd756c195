import { AmbiguousDownloadError, DownloadNotFoundError, InvalidDownloadError } from './errors.ts'
import type { DownloadEntry, DownloadSelector } from './types.ts'

/** The shortest content-id prefix a target may be: shorter ones match too much by chance. */
export const MIN_ID_PREFIX = 4

/**
 * The downloads a selector names. `all` takes every `eligible` one; a target
 * is a download's name or a prefix of its content id (at least
 * {@link MIN_ID_PREFIX} hex digits). When a target matches several, the
 * eligible ones decide if they are one; otherwise it is ambiguous. Throws
 * DownloadNotFoundError or AmbiguousDownloadError (with the candidates).
 */
export function selectDownloads (entries: DownloadEntry[], selector: DownloadSelector, eligible: (entry: DownloadEntry) => boolean): DownloadEntry[] {
  if (selector.all === true) {
    return entries.filter(eligible)
  }
  const targets = selector.targets ?? []
  if (targets.length === 0) {
    throw new InvalidDownloadError('name the downloads (names or content-id prefixes), or ask for all of them')
  }
  const chosen = new Map<string, DownloadEntry>()
  for (const target of targets) {
    const entry = selectOne(entries, target.trim(), eligible)
    chosen.set(entry.contentId, entry)
  }
  return [...chosen.values()]
}

function selectOne (entries: DownloadEntry[], target: string, eligible: (entry: DownloadEntry) => boolean): DownloadEntry {
  const prefix = /^[0-9a-f]+$/i.test(target) && target.length >= MIN_ID_PREFIX ? target.toLowerCase() : undefined
  const matches = entries.filter(entry => entry.name === target || (prefix != null && entry.contentId.startsWith(prefix)))
  if (matches.length === 1) {
    return matches[0]
  }
  if (matches.length === 0) {
    const hint = /^[0-9a-f]+$/i.test(target) && target.length < MIN_ID_PREFIX ? ` (an id prefix needs at least ${MIN_ID_PREFIX} characters)` : ''
    throw new DownloadNotFoundError(`no download matches "${target}"${hint}: see \`peerit downloads\``)
  }
  const narrowed = matches.filter(eligible)
  if (narrowed.length === 1) {
    return narrowed[0]
  }
  const candidates = (narrowed.length > 1 ? narrowed : matches).map(entry => ({ contentId: entry.contentId, name: entry.name }))
  throw new AmbiguousDownloadError(`${candidates.length} downloads match "${target}": name one by its id`, candidates)
}
