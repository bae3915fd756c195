#!/usr/bin/env node
// The `peerit` launcher. It must run on whatever `node` is first on the PATH
// (often an older system Node), so it is plain JavaScript that only decides
// which Node runs the real CLI: this one if it can strip TypeScript types,
// else the Node 24 pinned in the package's node_modules.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import module from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const main = join(root, 'cli', 'main.ts')

if (process.features.typescript) {
  module.enableCompileCache?.()
  await import(main)
} else {
  const pinned = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')]
    .find(path => existsSync(path))
  if (pinned == null) {
    process.stderr.write(`peerit: needs Node.js 22.18 or newer (this is ${process.version}).\n` +
      `Run \`npm install\` in ${root} to get the pinned Node 24, or install Node 24.\n`)
    process.exit(1)
  }
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
