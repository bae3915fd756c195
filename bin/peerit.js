#!/usr/bin/env node
'use strict'
// The `peerit` entry point run by Node (bin/peerit, the shell launcher, execs
// it with the right Node; tests run it with theirs). It runs the CLI bundle
// (dist/cli/peerit.cjs, which loads dist/cli/main.js for the yargs program;
// built by `node cli/bundle.ts`), else the TypeScript sources when the bundle
// is missing or, in a git checkout, older than a file it was built from: an
// edited source is never shadowed by a stale bundle. Run directly by a Node
// that cannot strip TypeScript types, it re-runs itself on the Node 24 pinned
// in the package's node_modules.
//
// CommonJS (bin/package.json), as is the bundle: `require` of a built-in hands
// over the module, where an ESM `import` of `node:fs` builds a facade that reads
// every export (loading fs/promises, streams, readline), and a CommonJS entry
// never starts the ESM loader. Each was a few ms of every start (docs/benchmarks.md).
const { existsSync, readFileSync, statSync } = require('node:fs')
const { dirname, join } = require('node:path')

const root = dirname(__dirname)

/**
 * The bundle, unless it is missing or stale. Only a git checkout is checked
 * (one stat for an installed package): its sources are the ones that get
 * edited, and an install rebuilds the bundle (`prepare`).
 */
function freshBundle () {
  const bundle = join(root, 'dist', 'cli', 'peerit.cjs')
  if (!existsSync(join(root, '.git'))) {
    return existsSync(bundle) ? bundle : undefined
  }
  try {
    const inputs = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'peerit.inputs.json'), 'utf8'))
    for (const [path, mtimeMs] of Object.entries(inputs)) {
      // esbuild's input paths are relative with `/`: a concatenation, not a join, for each of ~50.
      if (statSync(`${root}/${path}`).mtimeMs !== mtimeMs) {
        return undefined
      }
    }
    return existsSync(bundle) ? bundle : undefined
  } catch {
    return undefined
  }
}

/** Runs this launcher again on the pinned Node, passing on its exit code and signals. */
function runOnPinnedNode () {
  const pinned = [join(root, 'node_modules', 'node', 'bin', 'node'), join(root, 'node_modules', '.bin', 'node')]
    .find(path => existsSync(path))
  if (pinned == null) {
    process.stderr.write(`peerit: needs Node.js 22.18 or newer (this is ${process.version}).\n` +
      `Run \`npm install\` in ${root} to get the pinned Node 24, or install Node 24.\n`)
    process.exit(1)
  }
  // Loaded only here: every start-up on a Node that can run the CLI saves it.
  const { spawn } = require('node:child_process')
  // Run this launcher again (not cli/main.ts) so the child takes the same path,
  // by the path it was invoked as, so the CLI still knows whether it is `peerit` or `peerctl`.
  const child = spawn(pinned, [process.argv[1] ?? __filename, ...process.argv.slice(2)], { stdio: 'inherit' })
  // Ctrl-C already reaches the child through the terminal's process group.
  process.on('SIGINT', () => {})
  for (const signal of ['SIGTERM', 'SIGHUP']) {
    process.on(signal, () => { child.kill(signal) })
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal == null ? 1 : 128 + (signal === 'SIGINT' ? 2 : 15))
  })
}

if (process.features.typescript) {
  const bundle = freshBundle()
  if (bundle == null) {
    // A failure to load the sources is an unhandled rejection: Node prints it and exits 1.
    void import(join(root, 'cli', 'entry.ts'))
  } else {
    require(bundle)
  }
} else {
  runOnPinnedNode()
}
