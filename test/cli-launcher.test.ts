import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const launcher = fileURLToPath(new URL('../bin/peerit', import.meta.url))

test('the shell launcher runs through an npm-link style symlink, whatever node is first on the PATH', async (t) => {
  const bin = await mkdtemp(join(tmpdir(), 'peerit-launcher-'))
  t.after(async () => { await rm(bin, { recursive: true, force: true }) })
  await symlink(launcher, join(bin, 'peerit'))
  const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'))
  // /usr/bin first: the system Node (often too old for libp2p) is the one a user's PATH finds.
  const env = { ...process.env, PATH: `/usr/bin:/bin:${bin}` }
  const printed = await run(join(bin, 'peerit'), ['--version'], { env, timeout: 30_000 })
  assert.equal(printed.stdout.trim(), version)
  const failed = await run(join(bin, 'peerit'), ['no-such-command'], { env, timeout: 30_000 }).catch(err => err)
  assert.equal(failed.code, 2)
  assert.match(failed.stderr, /peerit --help/)
  // Installed under its second name, it speaks that name.
  await symlink(launcher, join(bin, 'peerctl'))
  const asPeerctl = await run(join(bin, 'peerctl'), ['no-such-command'], { env, timeout: 30_000 }).catch(err => err)
  assert.equal(asPeerctl.code, 2)
  assert.match(asPeerctl.stderr, /peerctl --help/)
})
