import { basename, extname } from 'node:path'

/**
 * The name the CLI was invoked by. The package installs one program under two
 * names: `peerit`, and `peerctl`, the original PeerIT's, for people who type
 * what they know. Help, usage and errors then speak the name that was typed.
 */

/** The names the package installs (package.json `bin`). */
export const PROGRAM_NAMES = ['peerit', 'peerctl'] as const

/** One of {@link PROGRAM_NAMES}. */
export type ProgramName = typeof PROGRAM_NAMES[number]

/**
 * A launcher that cannot keep the invoked path as `argv[1]` (one that
 * re-executes another file) names the program here instead.
 */
export const PROGRAM_ENV_VARIABLE = 'PEERIT_PROGRAM'

/** The invoked name: `PEERIT_PROGRAM`, else the basename of `argv[1]`; anything unknown is `peerit`. */
export function programName (argv1: string | undefined = process.argv[1], env: NodeJS.ProcessEnv = process.env): ProgramName {
  const given = env[PROGRAM_ENV_VARIABLE] ?? (argv1 == null ? '' : basename(argv1, extname(argv1)))
  return (PROGRAM_NAMES as readonly string[]).includes(given) ? given as ProgramName : 'peerit'
}

/** This process's program name. */
export const PROGRAM = programName()

// A command in a message is written in backticks (`peerit start`): the library
// and the daemon know only the canonical name; the CLI speaks the invoked one.
const COMMAND_MENTION = /`peerit(?=[\s`])/g

/** Rewrites the commands a message names (`peerit …` in backticks) to the invoked program name. */
export function forProgram (text: string, name: ProgramName = PROGRAM): string {
  return name === 'peerit' ? text : text.replace(COMMAND_MENTION, `\`${name}`)
}
