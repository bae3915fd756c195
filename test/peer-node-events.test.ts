import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'

it('a throwing or rejecting event listener is logged and does not crash the embedding program', async () => {
  const program = fileURLToPath(new URL('./fixtures/throwing-listener.ts', import.meta.url))
  const { stdout, stderr } = await new Promise<{ stdout: string, stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [program], { timeout: 60_000, env: { ...process.env, DEBUG: 'peerit:node:error' } }, (err, stdout, stderr) => {
      if (err != null) {
        reject(new Error(`the program died: ${err.message}\n${stderr}`))
      } else {
        resolve({ stdout, stderr })
      }
    })
  })
  const seen = JSON.parse(stdout.trim().split('\n').pop() ?? '')
  assert.equal(seen.alive, true)
  assert.equal(seen.peersReached, 1, 'the node kept working after its listeners threw')
  assert.equal(seen.thrown, 1, 'a listener added twice runs once')
  assert.equal(seen.rejected, 1)
  assert.equal(seen.calm, 1)
  assert.match(stderr, /a peer:connected listener threw/)
  assert.match(stderr, /async listener bug/)
})
