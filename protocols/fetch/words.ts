/**
 * Text normalisation shared by indexing, querying and the query routing
 * tables: every side must fold text the same way, or a query could never
 * meet the name it describes. Part of the `/peerit/fetch/1.1` spec (a table
 * is built from these words), so it lives with the protocol.
 */

// Compatibility decomposition (NFKD) splits "ó" into "o" + a combining mark and
// also folds ligatures and full-width forms ("ﬁ" → "fi", "Ａ" → "a").
const COMBINING_MARKS = /\p{M}+/gu
const WORD_SEPARATORS = /[^\p{L}\p{N}]+/u

/** Lowercases text and strips accents: "Canción" → "cancion". */
export function normalizeText (text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase()
}

/** The words (runs of letters and digits) of already normalised text, each once, in order. */
export function wordsOf (normalized: string): string[] {
  const words = normalized.split(WORD_SEPARATORS).filter(word => word !== '')
  return [...new Set(words)]
}

/** The normalised words of a file name, each once: "Beatles - Help!.mp3" → ["beatles", "help", "mp3"]. */
export function nameWords (name: string): string[] {
  return wordsOf(normalizeText(name))
}
