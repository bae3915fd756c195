/**
 * Builds the CLI as one file, `dist/cli/peerit.js` (run by `npm run build`,
 * `prepare` and `npm test`): loading one file instead of ~30 modules and
 * yargs' ~15 is most of what a short command like `peerit status` costs.
 * The daemon (libp2p, LevelDB) stays out of it, loaded from the sources only
 * by `peerit daemon` (see FROM_SOURCES). Beside the bundle, `peerit.inputs.json` lists every
 * file of the package it was built from with its mtime, so the launcher (bin/peerit.js) can
 * tell a stale bundle and run the sources instead.
 *
 *   node cli/bundle.ts
 */
import { readdir, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
/** The bundle sits two folders below the root, like cli/commands/*, so their `../../` URLs hold in both. */
const outdir = join(root, 'dist', 'cli')
const outfile = join(outdir, 'peerit.js')
/**
 * Modules loaded from the sources at run time, never bundled: the daemon, and
 * the config validator (with libp2p's peer ids and multiaddrs) that only
 * `init` and `demo` need.
 */
const FROM_SOURCES = /\/src\/(daemon\/daemon|config)\.ts$/

// Chunks of an earlier build: their names carry a content hash, so they would pile up.
for (const name of await readdir(outdir).catch(() => [])) {
  if (name.startsWith('chunk-')) {
    await rm(join(outdir, name))
  }
}

const result = await build({
  entryPoints: { peerit: join(root, 'cli', 'entry.ts') },
  outdir,
  // The yargs program, and every command not run without it, is a chunk of its own: its code and the
  // Node built-ins it imports (readline, os, crypto) load only when a command line needs yargs (cli/entry.ts).
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  metafile: true,
  logLevel: 'warning',
  // Bundled CommonJS (yargs) calls require() for Node built-ins and reads __dirname.
  banner: { js: "import { createRequire as __peeritRequire } from 'node:module'; const require = __peeritRequire(import.meta.url); const __dirname = import.meta.dirname;" },
  plugins: [{
    name: 'peerit-cli',
    setup (pluginBuild) {
      // A fast stand-in for yargs' and cli-progress's string-width; the stand-in itself gets the real one.
      pluginBuild.onResolve({ filter: /^string-width$/ }, args => args.importer.endsWith('string-width.cjs')
        ? undefined
        : { path: join(root, 'cli', 'string-width.cjs') })
      pluginBuild.onResolve({ filter: FROM_SOURCES }, args => ({
        path: relative(dirname(outfile), join(args.resolveDir, args.path)),
        external: true
      }))
    }
  }]
})

// Only the package's own files: dependencies change only through an install, which
// rebuilds (prepare), and an installed package's node_modules are laid out elsewhere.
const inputs: Record<string, number> = {}
for (const input of Object.keys(result.metafile.inputs).filter(input => !input.startsWith('node_modules/'))) {
  inputs[input] = (await stat(join(root, input))).mtimeMs
}
await writeFile(join(dirname(outfile), 'peerit.inputs.json'), JSON.stringify(inputs))
