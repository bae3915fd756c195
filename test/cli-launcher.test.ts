import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { access, copyFile, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { TestContext } from 'node:test'

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

/**
 * A package folder with the real bin/peerit.js, and a bundle and sources that
 * only say which of them ran, so the launcher's choice is what is tested.
 */
async function fakePackage (t: TestContext, options: { checkout: boolean }): Promise<{ root: string, run: () => Promise<string> }> {
  const root = await mkdtemp(join(tmpdir(), 'peerit-launcher-'))
  t.after(async () => { await rm(root, { recursive: true, force: true }) })
  await Promise.all(['bin', 'cli', 'dist/cli', ...(options.checkout ? ['.git'] : [])].map(async dir => mkdir(join(root, dir), { recursive: true })))
  await Promise.all(['peerit.js', 'package.json'].map(async name => copyFile(new URL(`../bin/${name}`, import.meta.url), join(root, 'bin', name))))
  await writeFile(join(root, 'dist', 'cli', 'peerit.cjs'), "process.stdout.write('bundle')\n")
  await writeFile(join(root, 'cli', 'entry.ts'), "process.stdout.write('sources')\n")
  const { mtimeMs } = await stat(join(root, 'cli', 'entry.ts'))
  await writeFile(join(root, 'dist', 'cli', 'peerit.inputs.json'), JSON.stringify({ 'cli/entry.ts': mtimeMs }))
  return { root, run: async () => (await run(process.execPath, [join(root, 'bin', 'peerit.js')], { timeout: 30_000 })).stdout }
}

test('in a git checkout the launcher runs the bundle while it is fresh, the sources once one changed or it is gone', async (t) => {
  const { root, run } = await fakePackage(t, { checkout: true })
  assert.equal(await run(), 'bundle')
  const later = new Date(Date.now() + 5000)
  await utimes(join(root, 'cli', 'entry.ts'), later, later)
  assert.equal(await run(), 'sources')
  await writeFile(join(root, 'dist', 'cli', 'peerit.inputs.json'), JSON.stringify({ 'cli/entry.ts': (await stat(join(root, 'cli', 'entry.ts'))).mtimeMs }))
  assert.equal(await run(), 'bundle')
  await rm(join(root, 'dist', 'cli', 'peerit.inputs.json'))
  assert.equal(await run(), 'sources', 'no list of inputs: freshness unknown')
  await rm(join(root, 'dist', 'cli', 'peerit.cjs'))
  assert.equal(await run(), 'sources')
})

test('an installed package (no .git) runs its bundle without checking the sources, and the sources when it has none', async (t) => {
  const { root, run } = await fakePackage(t, { checkout: false })
  const later = new Date(Date.now() + 5000)
  await utimes(join(root, 'cli', 'entry.ts'), later, later)
  assert.equal(await run(), 'bundle')
  await rm(join(root, 'dist', 'cli', 'peerit.cjs'))
  assert.equal(await run(), 'sources')
})

test('a plain command from the built bundle loads the socket client, not fs/promises, file streams or readline', async (t) => {
  const bundle = fileURLToPath(new URL('../dist/cli/peerit.cjs', import.meta.url))
  await access(bundle).catch(() => { assert.fail(`${bundle} is missing: build it with \`npm run build\``) })
  const dir = await mkdtemp(join(tmpdir(), 'peerit-launcher-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await writeFile(join(dir, 'peerConf.json'), '{}')
  // No daemon runs there: `status` asks the socket and answers "not running" (exit 3).
  const report = 'process.on("exit", () => process.stderr.write(JSON.stringify(process.moduleLoadList)))'
  const failed = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(report)}`, bundle, 'status', '--json'], { cwd: dir, timeout: 30_000 }).catch(err => err)
  assert.equal(failed.code, 3)
  assert.deepEqual(JSON.parse(failed.stdout), { running: false })
  const loaded: string[] = JSON.parse(failed.stderr)
  assert.ok(loaded.includes('NativeModule net'), 'the socket client is loaded')
  for (const module of ['NativeModule internal/fs/promises', 'NativeModule internal/fs/streams', 'NativeModule readline', 'NativeModule internal/readline/interface']) {
    assert.ok(!loaded.includes(module), `${module} is loaded`)
  }
})
