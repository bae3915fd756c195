import { createRequire } from 'node:module'
import { PEERIT_VERSION } from '../src/version.ts'
import { commands } from './commands/index.ts'
import { EXIT_CODES, reportError, UsageError } from './output.ts'
import { forProgram, PROGRAM } from './program-name.ts'

/**
 * The `peerit` program: global options, the commands, and one place where
 * every failure becomes a one-line error and an exit code.
 */
// yargs through require(): its CommonJS build loads in half the time of its ESM
// entry, and every command's start-up pays for it.
const require = createRequire(import.meta.url)
const yargs: typeof import('yargs/yargs') = require('yargs/yargs')
const { hideBin }: typeof import('yargs/helpers') = require('yargs/helpers')

const given = hideBin(process.argv)
// `peerit help [command]` is `peerit [command] --help`.
const args = given[0] === 'help' ? [...given.slice(1), '--help'] : given
// yargs' help also fires on a trailing word "help" (`peerit search beatles help`),
// a perfectly good search word here: switch help on only when it is asked for.
const wantsHelp = args.includes('--help') || args.includes('-h')
const json = process.argv.includes('--json')

const program = yargs(args)
  .scriptName(PROGRAM)
  .usage('$0 <command> [options]\n\nRun and drive a PeerIT peer-to-peer file-sharing node.')
  .option('config', {
    type: 'string',
    global: true,
    describe: 'path of peerConf.json (default: $PEERIT_CONFIG, else ./peerConf.json)'
  })
  .option('json', {
    type: 'boolean',
    global: true,
    default: false,
    describe: 'print exactly one JSON value on stdout'
  })
  .command(commands)
  .demandCommand(1, 'Name a command: see `peerit --help`.')
  .recommendCommands()
  .strict()
  .version(PEERIT_VERSION)
  .wrap(Math.min(100, process.stdout.columns ?? 100))
  .epilogue('Exit codes: 0 ok, 1 failed, 2 bad usage or config, 3 daemon not running, 4 not found. Docs: docs/cli.md')
  .fail((message, err) => {
    // No message: a command's handler failed, and the catch below reports it.
    // A message: yargs or a command's check refused the command line.
    if (message == null && err != null) {
      throw err
    }
    reportError(new UsageError(message ?? err?.message ?? 'bad usage'), json)
    if (!json) {
      process.stderr.write(forProgram('Run `peerit --help` (or `peerit <command> --help`) for usage.\n'))
    }
    process.exit(EXIT_CODES.usage)
  })

if (wantsHelp) {
  program.help().alias('h', 'help')
  if (PROGRAM !== 'peerit') {
    // yargs prints help with console.log and has no hook for its text: name the invoked program there too.
    const log = console.log
    console.log = (...parts: unknown[]) => { log(forProgram(parts.join(' '))) }
  }
} else {
  program.help(false)
}

try {
  await program.parseAsync()
} catch (err: any) {
  reportError(err, json)
}
