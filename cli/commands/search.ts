import { callDaemon } from '../context.ts'
import { printDiscoveredFiles } from '../print-files.ts'
import { checkTtl, runFetch } from './fetch.ts'
import type { GlobalOptions } from '../context.ts'
import type { DiscoveredFile } from '../../src/discovered-files.ts'
import type { Argv } from 'yargs'

interface SearchArgs extends GlobalOptions {
  words: string[]
  type?: string
  network: boolean
  ttl?: number
  limit?: number
}

export const command = 'search [words..]'
export const describe = 'Search discovered files by name words and/or type'

export function builder (y: Argv<GlobalOptions>): Argv<SearchArgs> {
  return y
    .positional('words', { type: 'string', array: true, default: [], describe: 'words or parts of the name (case and accents ignored)' })
    .option('type', { alias: 't', type: 'string', describe: 'music, video, document, image, archive, other, or an extension (pdf)' })
    .option('network', { type: 'boolean', default: false, describe: 'flood the query through the network first' })
    .option('ttl', { type: 'number', describe: 'with --network: hops (default 7, at most 10)' })
    .option('limit', { type: 'number', describe: 'show at most this many' })
    .check((argv) => {
      if ((argv.words as string[]).length === 0 && argv.type == null) {
        throw new Error('give words to search for, -t <type>, or both')
      }
      checkTtl(argv.ttl as number | undefined)
      return true
    })
    .example('$0 search beatles help', '')
    .example('$0 search -t music', '')
    .example('$0 search report -t pdf --network', '') as unknown as Argv<SearchArgs>
}

export async function handler (argv: SearchArgs): Promise<void> {
  const words = argv.words.map(String)
  if (argv.network) {
    await runFetch(argv, { ttl: argv.ttl, words: words.length > 0 ? words : undefined, type: argv.type })
  }
  const text = words.length > 0 ? words.join(' ') : undefined
  const files = await callDaemon<DiscoveredFile[]>(argv, 'search', { text, type: argv.type, limit: argv.limit })
  printDiscoveredFiles(files, argv.json === true,
    argv.network ? 'Nothing matches, even on the network.' : 'Nothing matches: try `peerit fetch` first, or `--network`.')
}
