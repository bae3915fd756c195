/**
 * The provider records the discovered-file benches ingest: `count` files
 * from bench/file-names.ts spread over ten providers, as one fetch would
 * bring them back; numbered from `first` (ids are hashes of the numbers), so
 * a later batch adds files instead of refreshing them.
 */
import { createHash } from 'node:crypto'
import type { ProviderRecord, SharedFileEntry } from '../protocols/fetch/index.ts'
import type { FileNames } from './file-names.ts'

/** Providers the files are spread over. */
export const PROVIDERS = 10

/**
 * The records, with names as flat strings, as a fetch gives them (decoded
 * from the wire's UTF-8): the generator's template strings are V8 rope
 * strings, and flattening a million of them on first use filled the old
 * space and made the ingest pay for the bench's own input (1M files: 24 s
 * of CPU with ropes, 13 s with flat strings).
 */
export function providerRecords (count: number, names: FileNames, first = 0): ProviderRecord[] {
  const records: ProviderRecord[] = Array.from({ length: PROVIDERS }, (_, index) => ({
    peerId: `12D3KooWBenchProvider${index}`,
    addresses: [`/ip4/127.0.0.1/tcp/${4000 + index}`],
    files: [] as SharedFileEntry[],
    hops: 1
  }))
  for (let index = first; index < first + count; index++) {
    const id = createHash('sha256').update(String(index)).digest('hex')
    records[index % PROVIDERS].files.push({ id, name: names.nameFor(index), size: 1000 + index, type: 'other' })
  }
  for (const record of records) {
    record.files = JSON.parse(JSON.stringify(record.files))
  }
  return records
}
