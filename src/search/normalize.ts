/** The text folding of names and queries: one definition, the fetch protocol's (routing tables depend on it). */
export { nameWords, normalizeText, wordsOf } from '../../protocols/fetch/words.ts'
