import { extensionOf, fileKindOf, isFileKind } from './kinds.ts'
import { nameWords, normalizeText } from './normalize.ts'
import type { FetchQuery } from '../../protocols/fetch/index.ts'
import type { FileKind } from './kinds.ts'

/** A local search: words to find in names, and/or a type (a kind, or an extension like "pdf" / ".pdf"). */
export interface SearchQuery {
  text?: string
  type?: string
}

/** A parsed type filter: a kind of file, or one extension (lowercase, no dot). */
export type TypeFilter = { kind: FileKind } | { extension: string }

/** Thrown when a type filter is neither a kind nor a plausible extension. */
export class InvalidTypeFilterError extends Error {
  static readonly code = 'ERR_INVALID_TYPE'
  readonly code = InvalidTypeFilterError.code
  constructor (type: string, message = `"${type.slice(0, 40)}" is not a file kind (music, video, document, image, archive, other) or an extension`) {
    super(message)
    this.name = 'InvalidTypeFilterError'
  }
}

// Plurals are what people type ("-t videos"); none of them is a real extension.
const KIND_ALIASES: Record<string, FileKind> = {
  audio: 'music',
  videos: 'video',
  documents: 'document',
  images: 'image',
  archives: 'archive'
}
const EXTENSION = /^[a-z0-9_-]{1,16}$/

/** Parses `-t <type>`: a kind (or its plural), else an extension with or without the dot; throws {@link InvalidTypeFilterError}. */
export function parseTypeFilter (type: string): TypeFilter {
  const folded = normalizeText(type.trim())
  const kind = KIND_ALIASES[folded] ?? folded
  if (isFileKind(kind)) {
    return { kind }
  }
  const extension = folded.startsWith('.') ? folded.slice(1) : folded
  if (!EXTENSION.test(extension)) {
    throw new InvalidTypeFilterError(type)
  }
  return { extension }
}

/** Whether a file name passes a type filter. */
export function matchesType (name: string, filter: TypeFilter): boolean {
  return 'kind' in filter ? fileKindOf(name) === filter.kind : extensionOf(name) === filter.extension
}

/** A query prepared once and run against many names. */
export interface CompiledQuery {
  /** The normalised query words, each once; all must occur in a name. */
  words: string[]
  filter?: TypeFilter
  /** Whether a name matches every word (as a word or a substring) and the type filter. */
  matches: (name: string) => boolean
}

/** Prepares a local or network query; throws {@link InvalidTypeFilterError} on a junk type. */
export function compileQuery (query: SearchQuery | FetchQuery = {}): CompiledQuery {
  const texts = [
    ...('text' in query && typeof query.text === 'string' ? [query.text] : []),
    ...('words' in query && Array.isArray(query.words) ? query.words : [])
  ]
  const words = [...new Set(texts.flatMap(text => nameWords(text)))]
  const filter = query.type === undefined || query.type === '' ? undefined : parseTypeFilter(query.type)
  return {
    words,
    filter,
    matches: (name) => {
      if (filter !== undefined && !matchesType(name, filter)) {
        return false
      }
      // A query word has no separators, so it occurs in the normalised name
      // exactly when it occurs inside one of the name's words.
      const normalized = normalizeText(name)
      return words.every(word => normalized.includes(word))
    }
  }
}

/**
 * Whether a name matches a query: every query word occurs in the name, as a
 * word or a substring, case- and accent-insensitively, and the type filter
 * (if any) holds. Throws {@link InvalidTypeFilterError} on a junk type.
 */
export function matchesQuery (name: string, query: SearchQuery | FetchQuery): boolean {
  return compileQuery(query).matches(name)
}
