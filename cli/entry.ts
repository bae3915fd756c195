import { PLAIN_COMMANDS, plainInvocation } from './plain-command.ts'

/**
 * Where the `peerit` program starts (bin/peerit.js, and the bundle built from
 * here). A command with no options of its own, given only the global ones
 * (`peerit status --json`), runs its handler at once: building the yargs
 * program, its 20-odd command modules and their help texts is most of what a
 * short command costs (docs/benchmarks.md). Every other command line goes
 * through the yargs program (cli/main.ts), as before.
 */
const plain = plainInvocation(process.argv.slice(2))
if (plain == null) {
  await import('./main.ts')
} else {
  const [{ handler }, { reportError }] = await Promise.all([PLAIN_COMMANDS[plain.command](), import('./output.ts')])
  try {
    await handler(plain.argv)
  } catch (err) {
    reportError(err, plain.argv.json === true)
  }
}
