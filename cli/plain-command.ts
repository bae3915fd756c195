import type { GlobalOptions } from './context.ts'

/**
 * Commands that take no options of their own, each with the loader of its
 * module. Given with nothing but the global options they run without yargs
 * (cli/entry.ts); anything more goes through the yargs program, which then
 * checks and explains it.
 */
export const PLAIN_COMMANDS: Record<string, () => Promise<{ handler: (argv: GlobalOptions) => Promise<void> }>> = {
  status: async () => import('./commands/status.ts'),
  stop: async () => import('./commands/stop.ts')
}

/** A command line that needs no parser: a plain command and the global options. */
export interface PlainInvocation {
  command: string
  argv: GlobalOptions
}

/**
 * The invocation when `args` is exactly a plain command followed by `--json`
 * and at most one `--config PATH` (or `--config=PATH`), each at most once;
 * undefined for anything else (help, a typo, a repeated or unknown option),
 * which yargs then handles as it always does.
 */
export function plainInvocation (args: string[]): PlainInvocation | undefined {
  const [command, ...rest] = args
  if (command == null || !Object.hasOwn(PLAIN_COMMANDS, command)) {
    return undefined
  }
  const argv: GlobalOptions = { json: false }
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]
    if (arg === '--json' && argv.json === false) {
      argv.json = true
    } else if (arg.startsWith('--config=') && argv.config == null && arg.length > '--config='.length) {
      argv.config = arg.slice('--config='.length)
    } else if (arg === '--config' && argv.config == null && i + 1 < rest.length && !rest[i + 1].startsWith('-')) {
      argv.config = rest[++i]
    } else {
      return undefined
    }
  }
  return { command, argv }
}
