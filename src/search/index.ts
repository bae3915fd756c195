/** Search over file names: normalisation, words, kinds and query matching. */
export { normalizeText, nameWords, wordsOf } from './normalize.ts'
export { FILE_KINDS, fileKindOf, extensionOf, isFileKind, isKnownExtension, kindOfExtension } from './kinds.ts'
export type { FileKind } from './kinds.ts'
export { parseTypeFilter, matchesType, matchesQuery, compileQuery, InvalidTypeFilterError } from './query.ts'
export type { SearchQuery, TypeFilter, CompiledQuery } from './query.ts'
export { checkUserQuery, InvalidQueryError } from './user-query.ts'
