import { syncJson } from '../../src/daemon/json-views.ts'
import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface SyncResult { added: number, updated: number, removed: number, total: number }

export const command = 'sync [files]'
export const describe = 'Re-index the shared folder (also: `sync files`)'

export function builder (y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y.positional('files', { type: 'string', choices: ['files'], describe: 'accepted for the original `sync files`' })
}

export async function handler (argv: GlobalOptions): Promise<void> {
  // Hashing a large folder takes a while: no idle timeout short of an hour.
  const result = await callDaemon<SyncResult>(argv, 'sync', {}, { timeoutMs: 3_600_000 })
  if (argv.json === true) {
    printJson(syncJson(result))
    return
  }
  printLines(`${style.green('synced')}: ${result.added} added, ${result.updated} updated, ${result.removed} removed, ${result.total} shared`)
}
