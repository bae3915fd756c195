import { resolve } from 'node:path'
import { shareJson } from '../../src/daemon/json-views.ts'
import { callDaemon } from '../context.ts'
import { formatBytes, printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface ShareArgs extends GlobalOptions {
  path: string
}

// `upload` is the original PeerIT's word for it: one command, two names.
export const command = ['share <path>', 'upload <path>']
export const describe = 'Copy a file into the shared folder and share it (also: upload)'

export function builder (y: Argv<GlobalOptions>): Argv<ShareArgs> {
  return y.positional('path', { type: 'string', demandOption: true, describe: 'the file to share' }) as unknown as Argv<ShareArgs>
}

export async function handler (argv: ShareArgs): Promise<void> {
  // The daemon may run elsewhere in the tree: hand it an absolute path.
  const file = await callDaemon<{ id: string, name: string, size: number }>(argv, 'share', { path: resolve(argv.path) }, { timeoutMs: 3_600_000 })
  if (argv.json === true) {
    printJson(shareJson(file))
    return
  }
  printLines(`${style.green('shared')} ${file.name} (${formatBytes(file.size)}) as ${file.id}`)
}
