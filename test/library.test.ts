import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'

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
