import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import { createFileNode, createShareFolder } from '../fixtures/file-nodes.ts'

const MiB = 1024 * 1024

// The downloader: a manager whose download folder is a 2 MiB tmpfs, printing how its download ended.
const CHILD = `
const [{ createFileNode }, { learnProviders, TEST_TUNABLES }, { DownloadManager }, { Store }, { DownloadRecords }, { readdir }] = await Promise.all([
  import(${JSON.stringify(new URL('../fixtures/file-nodes.ts', import.meta.url).href)}),
  import(${JSON.stringify(new URL('../fixtures/download-peers.ts', import.meta.url).href)}),
  import(${JSON.stringify(new URL('../../src/downloads/download-manager.ts', import.meta.url).href)}),
  import(${JSON.stringify(new URL('../../src/store.ts', import.meta.url).href)}),
  import(${JSON.stringify(new URL('../../src/downloads/records.ts', import.meta.url).href)}),
  import('node:fs/promises')
])
const job = JSON.parse(process.env.PEERIT_DISK_FULL)
const store = new Store(job.stateDir)
await store.open()
const node = await createFileNode()
await learnProviders(node, [job.provider])
const manager = new DownloadManager({
  ...TEST_TUNABLES,
  file: node.services.peeritFile,
  section: store.section('downloads'),
  downloadDir: job.downloadDir,
  providers: async () => [job.provider.peerId],
  logger: node.logger
})
let error
try {
  await manager.download({ contentId: job.contentId, name: 'big.bin' })
} catch (err) {
  error = { name: err.name, code: err.code, message: err.message }
}
const [entry] = await manager.list()
const record = await new DownloadRecords(store.section('downloads')).get(job.contentId)
process.stdout.write(JSON.stringify({ error, entry, record, files: await readdir(job.downloadDir) }) + '\\n')
await node.stop()
await store.close()
`

/** Whether this process may make a private mount namespace (root on Linux). */
async function canUnshare (): Promise<boolean> {
  try {
    await promisify(execFile)('unshare', ['-m', '--propagation', 'private', 'true'])
    return true
  } catch {
    return false
  }
}

describe('a full download folder (ENOSPC)', () => {
  it('fails the download cleanly: DiskFullError, the .part kept and nothing published, the state says so', { timeout: 120_000 }, async (t) => {
    if (!await canUnshare()) {
      t.skip('needs `unshare -m` (root on Linux) to mount a tiny tmpfs in a private mount namespace')
      return
    }
    const folder = await createShareFolder()
    const home = await mkdtemp(join(tmpdir(), 'peerit-disk-full-'))
    const provider = await createFileNode({ lookup: folder.lookup })
    try {
      const file = await folder.add('big.bin', 6 * MiB)
      const job = {
        stateDir: join(home, 'state'),
        downloadDir: home,
        contentId: file.contentId,
        provider: { peerId: provider.peerId.toString(), addresses: provider.getMultiaddrs().map(String) }
      }
      // The tmpfs is mounted in the child's own mount namespace: it vanishes with the child, and no
      // other process on the machine ever sees it. The state stays outside it, in a folder below.
      const script = 'mkdir -p "$0/downloads" && mount -t tmpfs -o size=2m tmpfs "$0/downloads" && exec "$1" --input-type=module -e "$2"'
      const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, home, process.execPath, CHILD], {
        env: { ...process.env, PEERIT_DISK_FULL: JSON.stringify({ ...job, downloadDir: join(home, 'downloads') }) },
        stdio: ['ignore', 'pipe', 'inherit']
      })
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
      const code = await new Promise<number | null>(resolve => { child.once('exit', resolve) })
      assert.equal(code, 0, output)
      const { error, entry, record, files } = JSON.parse(output)
      assert.equal(error.name, 'DiskFullError')
      assert.equal(error.code, 'ERR_DISK_FULL')
      assert.match(error.message, /no space left on the disk while writing .*big\.bin\.part; free some space and resume/)
      assert.equal(entry.status, 'failed')
      assert.match(entry.error, /no space left/)
      assert.ok(entry.received > 0 && entry.received < 6 * MiB, `${entry.received} bytes kept`)
      assert.equal(record.status, 'failed')
      assert.deepEqual(files, ['big.bin.part'], 'the .part is kept and nothing is published')
    } finally {
      await provider.stop()
      await folder.remove()
      await rm(home, { recursive: true, force: true })
    }
  })
})
