import { callDaemon } from '../context.ts'
import { formatBytes, printJson, printLines } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface LinkArgs extends GlobalOptions {
  name?: string
  id?: string
}

/** What the daemon answers (and `--json` prints). */
interface LinkView { link: string, contentId: string, name: string, size: number }

export const command = 'link [name]'
export const describe = 'Print a peerit: link to a shared or discovered file'

export function builder (y: Argv<GlobalOptions>): Argv<LinkArgs> {
  return y
    .positional('name', { type: 'string', describe: 'the file\'s name' })
    .option('id', { alias: 'i', type: 'string', describe: 'a content id or unique id prefix' })
    .check((argv) => {
      if ((argv.name == null) === (argv.id == null)) {
        throw new Error('name a file, or give -i <id> (not both)')
      }
      return true
    })
    .example('$0 link report.pdf', 'a link anyone can `peerit download`')
    .example('$0 link -i 3fa9c2 --json', '{ link, contentId, name, size }') as unknown as Argv<LinkArgs>
}

export async function handler (argv: LinkArgs): Promise<void> {
  // No fetch is involved, but with no provider known the daemon asks the DHT (up to 30 s).
  const result = await callDaemon<LinkView>(argv, 'link', { target: String(argv.id ?? argv.name) }, { timeoutMs: 40_000 })
  if (argv.json === true) {
    printJson({ link: result.link, contentId: result.contentId, name: result.name, size: result.size })
    return
  }
  printLines(`${result.name} (${formatBytes(result.size)})`, result.link)
}
