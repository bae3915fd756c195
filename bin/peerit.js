#!/usr/bin/env node
// The `peerit` entry point run by Node (bin/peerit, the shell launcher, execs
// it with the right Node; tests run it with theirs). It runs the CLI bundle
// (dist/cli/peerit.js and its chunks, built by `node cli/bundle.ts`) when it is
// as new as every file it was built from, else the TypeScript sources, so an
// edited source is never shadowed by a stale bundle. Run directly by a Node
// that cannot strip TypeScript types, it re-runs itself on the Node 24 pinned
// in the package's node_modules.
import { existsSync, readFileSync, statSync } from 'node:fs'
import module from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))

/** The bundle when it exists and no input changed since it was built. */
function freshBundle () {
  const bundle = join(root, 'dist', 'cli', 'peerit.js')
  try {
    const inputs = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'peerit.inputs.json'), 'utf8'))
    for (const [path, mtimeMs] of Object.entries(inputs)) {
      if (statSync(join(root, path)).mtimeMs !== mtimeMs) {
        return undefined
      }
    }
    return existsSync(bundle) ? bundle : undefined
  } catch {
    return undefined
  }
}

if (process.features.typescript) {
  module.enableCompileCache?.()
  await import(freshBundle() ?? join(root, 'cli', 'entry.ts'))
} else {
  const pinned = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')]
    .find(path => existsSync(path))
  if (pinned == null) {
    process.stderr.write(`peerit: needs Node.js 22.18 or newer (this is ${process.version}).\n` +
      `Run \`npm install\` in ${root} to get the pinned Node 24, or install Node 24.\n`)
    process.exit(1)
  }
  // Loaded only here: every start-up on a Node that can run the CLI saves it.
  const { spawn } = await import('node:child_process')
  // Run this launcher again (not cli/main.ts) so the child enables the compile cache too,
  // by the path it was invoked as, so the CLI still knows whether it is `peerit` or `peerctl`.
  const child = spawn(pinned, [process.argv[1] ?? fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  // Ctrl-C already reaches the child through the terminal's process group.
  process.on('SIGINT', () => {})
  for (const signal of ['SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { child.kill(signal) })
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal == null ? 1 : 128 + (signal === 'SIGINT' ? 2 : 15))
  })
}
