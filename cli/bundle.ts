/**
 * Builds the CLI for fast start-up (run by `npm run build`, `prepare` and
 * `npm test`), in two parts that share nothing at run time:
 *
 * - `dist/cli/peerit.cjs`, one CommonJS file from cli/entry.ts with the plain
 *   commands (`status`, `stop`): what a short command loads. CommonJS because
 *   Node's `require` of a built-in hands over the module as it is, where an ESM
 *   `import` of `node:fs` builds a facade that reads every export, loading
 *   `fs/promises`, streams and readline on the way (~15 ms a start here), and
 *   because one file costs the loader one resolution instead of seven.
 * - `dist/cli/main.js` and its chunks, the yargs program (cli/main.ts) as ESM
 *   split in chunks: its code and the Node built-ins only some commands use
 *   (readline, os, crypto) load when a command line needs them. peerit.cjs
 *   imports it for every command line that is not plain.
 *
 * The daemon (libp2p, LevelDB) stays out of both, loaded from the sources only
 * by `peerit daemon` (see FROM_SOURCES). Beside them, `peerit.inputs.json` lists
 * every file of the package they were built from with its mtime, so the
 * launcher (bin/peerit.js) can tell a stale bundle and run the sources instead.
 *
 *   node cli/bundle.ts
 */
import { rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { BuildOptions, Metafile, Plugin } from 'esbuild'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
/** The bundles sit two folders below the root, like cli/commands/*, so their `../../` URLs hold in both. */
const outdir = join(root, 'dist', 'cli')
/**
 * Modules loaded from the sources at run time, never bundled: the daemon, and
 * the config validator (with libp2p's peer ids and multiaddrs) that only
 * `init` and `demo` need.
 */
const FROM_SOURCES = /\/src\/(daemon\/daemon|config)\.ts$/

/** Where bundled code finds what stays outside: the sources above, and the program from the entry. */
const outside: Plugin = {
  name: 'peerit-cli',
  setup (pluginBuild) {
    // A fast stand-in for yargs' and cli-progress's string-width; the stand-in itself gets the real one.
    pluginBuild.onResolve({ filter: /^string-width$/ }, args => args.importer.endsWith('string-width.cjs')
      ? undefined
      : { path: join(root, 'cli', 'string-width.cjs') })
    pluginBuild.onResolve({ filter: FROM_SOURCES }, args => ({
      path: relative(outdir, join(args.resolveDir, args.path)),
      external: true
    }))
    pluginBuild.onResolve({ filter: /^\.\/main\.ts$/ }, args => args.importer === join(root, 'cli', 'entry.ts')
      ? { path: './main.js', external: true }
      : undefined)
  }
}

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  metafile: true,
  logLevel: 'warning',
  plugins: [outside]
}

// An earlier build's files would pile up: chunk names carry a content hash, and older layouts had other files.
await rm(outdir, { recursive: true, force: true })

const program = await build({
  ...common,
  entryPoints: { main: join(root, 'cli', 'main.ts') },
  outdir,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  // Bundled CommonJS (yargs) calls require() for Node built-ins and reads __dirname.
  banner: { js: "import { createRequire as __peeritRequire } from 'node:module'; const require = __peeritRequire(import.meta.url); const __dirname = import.meta.dirname;" }
})
const entry = await build({
  ...common,
  entryPoints: [join(root, 'cli', 'entry.ts')],
  outfile: join(outdir, 'peerit.cjs'),
  format: 'cjs'
})
// In CommonJS `import.meta` is empty: code on the plain path that reads it would break only when run.
if (entry.warnings.length > 0) {
  throw new Error(`the plain-command bundle must build without warnings (${entry.warnings.length} above)`)
}

// Only the package's own files: dependencies change only through an install, which
// rebuilds (prepare), and an installed package's node_modules are laid out elsewhere.
const inputs: Record<string, number> = {}
for (const metafile of [program.metafile, entry.metafile] as Metafile[]) {
  for (const input of Object.keys(metafile.inputs).filter(input => !input.startsWith('node_modules/'))) {
    inputs[input] = (await stat(join(root, input))).mtimeMs
  }
}
await writeFile(join(outdir, 'peerit.inputs.json'), JSON.stringify(inputs))
