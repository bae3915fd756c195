import { FileTable } from './file-table.ts'
import { blocksUnder, readSnapshot, SnapshotUnusableError, writeSnapshot } from './snapshot.ts'
import { WordIndex } from './word-index.ts'
import type { FileTableMeta } from './file-table.ts'

/** The in-memory index of discovered files: what a snapshot saves and brings back. */
export interface DiscoveredIndex {
  table: FileTable
  words: WordIndex
}

/** Writes the index to a snapshot file named by `token` (see snapshot.ts for the atomic write). */
export async function saveIndex (path: string, token: string, index: DiscoveredIndex): Promise<void> {
  const table = index.table.snapshot()
  const words = index.words.snapshot()
  await writeSnapshot(path, token, {
    meta: { table: table.meta },
    blocks: {
      ...Object.fromEntries(Object.entries(table.blocks).map(([name, block]) => [`table.${name}`, block])),
      ...Object.fromEntries(Object.entries(words).map(([name, block]) => [`words.${name}`, block]))
    }
  })
}

/**
 * Reads the index back, when the snapshot carries `token`; throws
 * SnapshotUnusableError when it does not (stale), or is missing or damaged.
 */
export async function loadIndex (path: string, token: string): Promise<DiscoveredIndex> {
  const snapshot = await readSnapshot(path)
  if (snapshot.token !== token) {
    throw new SnapshotUnusableError('the snapshot is older than the store')
  }
  const meta = snapshot.meta as { table?: FileTableMeta } | undefined
  if (meta?.table === undefined) {
    throw new SnapshotUnusableError('snapshot meta incomplete')
  }
  try {
    return { table: FileTable.fromSnapshot(meta.table, blocksUnder(snapshot.blocks, 'table.')), words: WordIndex.fromSnapshot(blocksUnder(snapshot.blocks, 'words.')) }
  } catch (err: any) {
    throw err.name === 'SnapshotUnusableError' ? err : new SnapshotUnusableError(`snapshot does not fit together: ${err.message}`, { cause: err })
  }
}
