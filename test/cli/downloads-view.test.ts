import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { downloadRows } from '../../cli/downloads-view.ts'
import type { DownloadEntryView } from '../../cli/downloads-view.ts'

const entry = (overrides: Partial<DownloadEntryView>): DownloadEntryView => ({
  contentId: 'ab'.repeat(32),
  name: 'a file with a very long name that would not fit in eighty columns at all.mkv',
  size: 1023 * 1024 * 1024,
  received: 512 * 1024 * 1024,
  status: 'active',
  providers: 12,
  bytesPerSecond: 1000 * 1024 * 1024,
  ...overrides
})

describe('downloadRows', () => {
  it('fits 80 columns, truncating the name, and shows rates only for active downloads', () => {
    const rows = downloadRows([entry({}), entry({ status: 'paused' }), entry({ status: 'completed', received: 1023 * 1024 * 1024 }), entry({ status: 'queued', size: 0, received: 0 })], 80)
    for (const row of rows) {
      assert.ok(row.length <= 80, `${row.length}: ${row}`)
    }
    assert.match(rows[1], /^abababab {2}active/)
    assert.match(rows[1], /50%/)
    assert.match(rows[1], /…$/)
    assert.doesNotMatch(rows[2], /MiB\/s/)
    assert.match(rows[3], /100%/)
    assert.match(rows[4], /queued +- /)
  })

  it('gives the name the room of a wider terminal', () => {
    const [, row] = downloadRows([entry({})], 200)
    assert.ok(row.endsWith('at all.mkv'), row)
  })

  it('says so when there are none', () => {
    assert.deepEqual(downloadRows([], 80), ['No downloads.'])
  })
})
