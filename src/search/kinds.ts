/** The kinds a file can be searched by (`peerit search -t <kind>`). */
export const FILE_KINDS = ['music', 'video', 'document', 'image', 'archive', 'other'] as const

/** One of {@link FILE_KINDS}. */
export type FileKind = typeof FILE_KINDS[number]

// Extensions per kind. "ts" (MPEG transport stream or TypeScript?) and other
// ambiguous ones are left out on purpose: a wrong kind is worse than "other".
const EXTENSIONS: Record<Exclude<FileKind, 'other'>, readonly string[]> = {
  music: ['mp3', 'flac', 'wav', 'ogg', 'oga', 'opus', 'm4a', 'aac', 'wma', 'aiff', 'aif', 'alac', 'ape', 'mid', 'midi', 'mka'],
  video: ['mp4', 'mkv', 'avi', 'mov', 'wmv', 'flv', 'webm', 'm4v', 'mpg', 'mpeg', '3gp', 'ogv', 'vob', 'divx'],
  document: ['pdf', 'doc', 'docx', 'odt', 'rtf', 'txt', 'md', 'epub', 'mobi', 'xls', 'xlsx', 'ods', 'ppt', 'pptx', 'odp', 'csv', 'tex', 'djvu', 'html', 'htm'],
  image: ['jpg', 'jpeg', 'png', 'gif', 'bmp', 'tif', 'tiff', 'webp', 'svg', 'heic', 'heif', 'avif', 'ico', 'raw', 'cr2', 'nef', 'dng', 'psd'],
  archive: ['zip', 'rar', '7z', 'tar', 'gz', 'tgz', 'bz2', 'xz', 'zst', 'lz', 'lzma', 'iso', 'dmg', 'cab']
}

const KIND_BY_EXTENSION = new Map<string, FileKind>(
  Object.entries(EXTENSIONS).flatMap(([kind, extensions]) => extensions.map(extension => [extension, kind as FileKind]))
)

/** A file name's extension, lowercased and without the dot; '' when it has none (".bashrc" has none). */
export function extensionOf (name: string): string {
  // Indexes, not a slice of the base name: a million-file ingest calls this for every file.
  const base = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1
  const dot = name.lastIndexOf('.')
  return dot > base ? name.slice(dot + 1).toLowerCase() : ''
}

/** The kind of a file, by its extension, case-insensitively; "other" when unknown. */
export function fileKindOf (name: string): FileKind {
  return kindOfExtension(extensionOf(name))
}

/** The kind of files with this extension (lowercase, no dot, as {@link extensionOf} gives); "other" when unknown. */
export function kindOfExtension (extension: string): FileKind {
  return KIND_BY_EXTENSION.get(extension) ?? 'other'
}

/** Whether a string is one of {@link FILE_KINDS}. */
export function isFileKind (value: string): value is FileKind {
  return (FILE_KINDS as readonly string[]).includes(value)
}

/** Whether an extension (lowercase, no dot) is in one of the kinds' tables. */
export function isKnownExtension (extension: string): boolean {
  return KIND_BY_EXTENSION.has(extension)
}
