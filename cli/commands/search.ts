import { callDaemon } from '../context.ts'
import { printDiscoveredFiles } from '../print-files.ts'
import { checkTtl, runFetch } from './fetch.ts'
import type { DiscoveredFile } from '../../src/discovered-files.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface SearchArgs extends GlobalOptions {
  words: string[]
  type?: string
  network: boolean
  ttl?: number
  limit?: number
}

/** Files `search --network` asks the network for when no --limit is given. */
const NETWORK_LIMIT = 100

export const command = 'search [words..]'
export const describe = 'Search discovered files by name words and/or type'

export function builder (y: Argv<GlobalOptions>): Argv<SearchArgs> {
  return y
    .positional('words', { type: 'string', array: true, default: [], describe: 'words or parts of the name (case and accents ignored)' })
    .option('type', { alias: 't', type: 'string', describe: 'music, video, document, image, archive, other, or an extension (pdf)' })
    .option('network', { type: 'boolean', default: false, describe: 'ask the network first, widening until --limit files match' })
    .option('ttl', { type: 'number', describe: 'with --network: the most hops to widen to (default 7, at most 10)' })
    .option('limit', { type: 'number', describe: `show at most this many (with --network: stop asking at this many; default ${NETWORK_LIMIT})` })
    .check((argv) => {
      if ((argv.words as string[]).length === 0 && argv.type == null) {
        throw new Error('give words to search for, -t <type>, or both')
      }
      checkTtl(argv.ttl as number | undefined)
      if (argv.limit != null && (!Number.isInteger(argv.limit) || argv.limit < 1 || argv.limit > 100_000)) {
        throw new Error('--limit must be a whole number from 1 to 100000')
      }
      return true
    })
    .example('$0 search beatles help', '')
    .example('$0 search -t music', '')
    .example('$0 search report -t pdf --network', '') as unknown as Argv<SearchArgs>
}

export async function handler (argv: SearchArgs): Promise<void> {
  const words = argv.words.map(String)
  if (argv.network) {
    // dynamic querying: small TTL on a few links first, wider only while fewer than the limit match
    await runFetch(argv, { ttl: argv.ttl, words: words.length > 0 ? words : undefined, type: argv.type, limit: argv.limit ?? NETWORK_LIMIT })
  }
  const text = words.length > 0 ? words.join(' ') : undefined
  const files = await callDaemon<DiscoveredFile[]>(argv, 'search', { text, type: argv.type, limit: argv.limit })
  printDiscoveredFiles(files, argv.json === true,
    argv.network ? 'Nothing matches, even on the network.' : 'Nothing matches: try `peerit fetch` first, or `--network`.')
}
