import { PLAIN_COMMANDS, plainInvocation } from './plain-command.ts'
import type { PlainInvocation } from './plain-command.ts'

/**
 * Where the `peerit` program starts (bin/peerit.js, and the bundle built from
 * here). A command with no options of its own, given only the global ones
 * (`peerit status --json`), runs its handler at once: building the yargs
 * program, its 20-odd command modules and their help texts is most of what a
 * short command costs (docs/benchmarks.md). Every other command line goes
 * through the yargs program (cli/main.ts), as before.
 *
 * No top-level await: the bundle of this file is CommonJS (cli/bundle.ts).
 */
async function runPlain (plain: PlainInvocation): Promise<void> {
  const [{ handler }, { reportError }] = await Promise.all([PLAIN_COMMANDS[plain.command](), import('./output.ts')])
  try {
    await handler(plain.argv)
  } catch (err) {
    reportError(err, plain.argv.json === true)
  }
}

const plain = plainInvocation(process.argv.slice(2))
if (plain == null) {
  // Node's on-disk cache of compiled code pays for itself on the yargs program's
  // ~500 KB; on the plain path, a few KB, loading it cost more than it saved.
  process.getBuiltinModule('node:module').enableCompileCache?.()
  // A failure to load the program is an unhandled rejection: Node prints it and exits 1.
  void import('./main.ts')
} else {
  void runPlain(plain)
}
