import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { DiscoveredFiles } from '../../src/discovered-files.ts'
import { Store } from '../../src/store.ts'
import { rewriterFiles, REWRITER_PROVIDER, REWRITER_SEEN } from '../fixtures/log-rewriter-files.ts'
import { eventually } from '../fixtures/poll.ts'
import { silentLogger, tempFolder } from '../fixtures/search.ts'
import type { DiscoveredFile, DiscoveredFileRecord } from '../../src/discovered-files.ts'

const rewriter = fileURLToPath(new URL('../fixtures/log-rewriter.ts', import.meta.url))
// Three segments of 10,000 files: a rewrite writes several values and deletes several more.
const FILES = 30_000
const count = (text: string, line: string): number => text.split('\n').filter(entry => entry.startsWith(line)).length

describe('the discovered-file log', () => {
  let folder: { path: string, remove: () => Promise<void> }
  before(async () => { folder = await tempFolder('log-rewrite') })
  after(async () => { await folder.remove() })

  it('a kill -9 during a log rewrite loses and invents nothing', async (t) => {
    const expected: DiscoveredFile[] = rewriterFiles(FILES)
      .map(({ id, name, size }) => ({ id, name, size, type: 'music' as const, providers: [{ peerId: REWRITER_PROVIDER, addresses: ['/ip4/127.0.0.1/tcp/4001'], lastSeen: REWRITER_SEEN }] }))
      .sort((a, b) => a.id.localeCompare(b.id))
    let killedMidRewrite = 0
    for (let round = 0; round < 3; round++) {
      const location = join(folder.path, `db-${round}`)
      // The child ingests the same files pass after pass; the log is rewritten every other pass.
      // Odd rounds keep a snapshot too: the reopen then loads it and replays the log written after it.
      const snapshotPath = round % 2 === 1 ? join(folder.path, `snapshot-${round}`) : undefined
      const child = spawn(process.execPath, [rewriter, location, String(FILES), ...(snapshotPath === undefined ? [] : [snapshotPath])], { stdio: ['ignore', 'pipe', 'inherit'] })
      t.after(() => { child.kill('SIGKILL') })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
      // A later rewrite each round: the first has per-file work before it, the others follow a rewritten log.
      await eventually(() => count(output, 'rewriting') > round, { timeoutMs: 120_000, intervalMs: 1, what: `rewrite ${round + 1} to start` })
      child.kill('SIGKILL')
      await new Promise(resolve => child.once('exit', resolve))
      const midRewrite = count(output, 'rewrote') < count(output, 'rewriting')
      killedMidRewrite += midRewrite ? 1 : 0
      t.diagnostic(`round ${round}: killed ${midRewrite ? 'during' : 'after'} rewrite ${round + 1}`)

      const store = new Store(location)
      await store.open()
      try {
        // With the snapshot, then without (a rebuild from the records): both give every file.
        for (const path of new Set([snapshotPath, undefined])) {
          const files = new DiscoveredFiles({ files: store.section<DiscoveredFileRecord>('discoveredFiles'), logger: silentLogger(), snapshotPath: path })
          await files.open()
          const what = `round ${round}, opened from the ${files.openedFrom}`
          t.diagnostic(what)
          const found = (await files.list({ limit: FILES + 1 })).sort((a, b) => a.id.localeCompare(b.id))
          assert.equal(found.length, FILES, `${what}: every file, once`)
          assert.deepEqual(found, expected, what)
          assert.equal((await files.search({ text: 'registro' }, { limit: FILES + 1 })).length, FILES)
        }
      } finally {
        await store.close()
      }
    }
    // The kill follows the rewrite's first log line within milliseconds; a rewrite of 30,000 files takes longer.
    assert.ok(killedMidRewrite >= 1, `${killedMidRewrite} of 3 kills landed during a rewrite`)
  })
})
