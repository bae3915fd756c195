import { FILE_KINDS, isKnownExtension } from './kinds.ts'
import { nameWords } from './normalize.ts'
import { InvalidTypeFilterError, parseTypeFilter } from './query.ts'

/** Thrown when a query has text but nothing in it to search for (`*`, an emoji, punctuation). */
export class InvalidQueryError extends Error {
  static readonly code = 'ERR_INVALID_QUERY'
  readonly code = InvalidQueryError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidQueryError'
  }
}

/**
 * Checks a query a user typed before it runs, stricter than what peers are
 * answered with: names are matched by their words (runs of letters and
 * digits), so text with no such word would match every file, and `-t` with
 * a word that is neither a kind nor a known extension would silently match
 * none. Both are refused with a sentence that says what works. An extension
 * outside the kinds' tables is still accepted written with its dot (`.srt`).
 */
export function checkUserQuery (query: { text?: string, words?: string[], type?: string }): void {
  const text = [query.text ?? '', ...(query.words ?? [])].join(' ').trim()
  if (text !== '' && nameWords(text).length === 0) {
    throw new InvalidQueryError(`"${text.slice(0, 40)}" has no letters or digits to search for: names are matched by words ` +
      'and parts of words (there are no wildcards); give a word, or only -t <kind> to list a kind')
  }
  const type = query.type?.trim() ?? ''
  if (type === '') {
    return
  }
  const filter = parseTypeFilter(type)
  if ('extension' in filter && !type.startsWith('.') && !isKnownExtension(filter.extension)) {
    throw new InvalidTypeFilterError(type, `"${type.slice(0, 40)}" is not a kind (${FILE_KINDS.join(', ')}) ` +
      `nor a known extension; for another extension write its dot, e.g. -t .${filter.extension}`)
  }
}
