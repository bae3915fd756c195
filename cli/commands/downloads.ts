import { callDaemon } from '../context.ts'
import { downloadRows, watchDownloads } from '../downloads-view.ts'
import { printJson, printLines, UsageError } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { DownloadEntryView } from '../downloads-view.ts'
import type { Argv } from 'yargs'

interface DownloadsArgs extends GlobalOptions {
  clear: boolean
  watch: boolean
}

export const command = 'downloads'
export const describe = 'List downloads (active, paused, interrupted, failed, and the last 1,000 finished)'

export function builder (y: Argv<GlobalOptions>): Argv<DownloadsArgs> {
  return y
    .option('clear', { type: 'boolean', default: false, describe: 'forget the completed, cancelled and failed ones (a failed one\'s .part too)' })
    .option('watch', { type: 'boolean', default: false, describe: 'a live view of rates and peers (q or Ctrl-C to quit)' })
    .epilogue('Pause, resume or cancel with `peerit pause|resume|cancel <name|id-prefix>`.') as unknown as Argv<DownloadsArgs>
}

export async function handler (argv: DownloadsArgs): Promise<void> {
  if (argv.watch) {
    if (argv.json === true || argv.clear) {
      throw new UsageError('--watch is a live view for a terminal: it takes neither --json nor --clear')
    }
    await watchDownloads(argv)
    return
  }
  const list = await callDaemon<DownloadEntryView[]>(argv, 'downloads', argv.clear ? { clear: true } : {})
  if (argv.json === true) {
    printJson(list)
    return
  }
  printLines(...downloadRows(list, process.stdout.columns ?? 80))
  for (const d of list.filter(d => d.error != null)) {
    printLines(`${d.contentId.slice(0, 12)}: ${d.error}`)
  }
}
