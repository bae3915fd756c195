import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { before, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Source files of the package whose compiled form in dist/ is missing or older than they are. */
async function staleBuild (): Promise<string[]> {
  const stale: string[] = []
  for (const folder of ['src', 'protocols']) {
    for (const entry of await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) {
        continue
      }
      const source = join(entry.parentPath, entry.name)
      const built = join(ROOT, 'dist', relative(ROOT, source).replace(/\.ts$/, '.js'))
      const builtAt = await stat(built).then(s => s.mtimeMs, () => -1)
      if (builtAt < (await stat(source)).mtimeMs) {
        stale.push(relative(ROOT, source))
      }
    }
  }
  return stale
}

// The program imports the package by name, i.e. dist/: it must be what src/ says now.
before(async () => {
  const stale = await staleBuild()
  assert.deepEqual(stale, [], `dist/ is older than these sources: run \`npm run build\` (npm test builds first)\n${stale.join('\n')}`)
})

it('another Node program embeds two nodes through the package entry point and downloads between them', async () => {
  const program = fileURLToPath(new URL('./fixtures/embedder.mjs', import.meta.url))
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [program], { timeout: 60_000 }, (err, out, stderr) => {
      if (err != null) {
        reject(new Error(`${err.message}\n${stderr}`))
      } else {
        resolve(out)
      }
    })
  })
  const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '')
  assert.equal(seen.connectedEvent, true)
  assert.equal(seen.peersReached, 1)
  assert.deepEqual(seen.found, ['poem.txt'])
  assert.deepEqual(seen.foundByType, ['poem.txt'])
  assert.equal(seen.savedAs, true)
  assert.equal(seen.againAs, 'poem (1).txt')
  assert.deepEqual(seen.downloadedFrom, [seen.alice])
  assert.equal(seen.same, true)
})
