import { callDaemon } from '../context.ts'
import { formatBytes, printJson, printLines, printTable } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface DownloadStateView { contentId: string, name: string, size: number, received: number, status: string, error?: string }

export const command = 'downloads'
export const describe = 'List active and interrupted downloads'

export function builder (y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y.epilogue('Resume interrupted ones with `peerit download --resume`.')
}

export async function handler (argv: GlobalOptions): Promise<void> {
  const list = await callDaemon<DownloadStateView[]>(argv, 'downloads')
  if (argv.json === true) {
    printJson(list)
    return
  }
  printTable(['ID', 'STATUS', 'DONE', 'NAME'], list.map(d => [
    d.contentId.slice(0, 12),
    d.status,
    `${formatBytes(d.received)} / ${formatBytes(d.size)}`,
    d.name
  ]), 'No downloads in progress.')
  const failures = list.filter(d => d.error != null)
  for (const d of failures) {
    printLines(`${d.contentId.slice(0, 12)}: ${d.error}`)
  }
}
