import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

/** What `fetch` (and `search --network`) report. */
export interface FetchSummary { fetchId: string, peersReached: number, filesDiscovered: number, durationMs: number }

interface FetchArgs extends GlobalOptions {
  ttl?: number
  timeout?: number
}

export const command = 'fetch'
export const describe = 'Flood the network to learn what every peer within reach shares'

export function builder (y: Argv<GlobalOptions>): Argv<FetchArgs> {
  return y
    .option('ttl', { type: 'number', describe: 'hops the flood may travel (default 7, at most 10)' })
    .option('timeout', { type: 'number', describe: 'seconds to wait for answers at most' })
    .check((argv) => {
      checkTtl(argv.ttl)
      if (argv.timeout != null && !(argv.timeout > 0 && argv.timeout <= 600)) {
        throw new Error('--timeout must be a number of seconds above 0 and at most 600')
      }
      return true
    }) as unknown as Argv<FetchArgs>
}

/** Refuses a `--ttl` outside 1..10 (yargs turns `--ttl abc` into NaN); shared with `search --network`. */
export function checkTtl (ttl: number | undefined): void {
  if (ttl != null && (!Number.isInteger(ttl) || ttl < 1 || ttl > 10)) {
    throw new Error('--ttl must be a whole number from 1 to 10')
  }
}

/** Runs a fetch through the daemon; shared with `search --network`. */
export async function runFetch (argv: GlobalOptions, options: { ttl?: number, timeout?: number, words?: string[], type?: string }): Promise<FetchSummary> {
  const timeoutMs = options.timeout == null ? undefined : Math.round(options.timeout * 1000)
  return callDaemon<FetchSummary>(argv, 'fetch', { ttl: options.ttl, timeoutMs, words: options.words, type: options.type },
    { timeoutMs: (timeoutMs ?? 120_000) + 10_000 })
}

export async function handler (argv: FetchArgs): Promise<void> {
  const summary = await runFetch(argv, { ttl: argv.ttl, timeout: argv.timeout })
  if (argv.json === true) {
    printJson(summary)
    return
  }
  printLines(`${style.green('fetched')}: ${summary.peersReached} peer${summary.peersReached === 1 ? '' : 's'} reached, ` +
    `${summary.filesDiscovered} file${summary.filesDiscovered === 1 ? '' : 's'} found in ${(summary.durationMs / 1000).toFixed(2)} s`,
  `Next: ${style.bold('peerit list files')} or ${style.bold('peerit search <words>')}`)
}
