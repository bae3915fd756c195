import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { PeerIdArgs } from './block.ts'
import type { Argv } from 'yargs'

export const command = 'unblock <peerId>'
export const describe = 'Lift a block: the peer may connect again'

export function builder (y: Argv<GlobalOptions>): Argv<PeerIdArgs> {
  return y
    .positional('peerId', { type: 'string', demandOption: true, describe: 'the whole peer id (12D3KooW…)' })
    .epilogue('Exit 4 when that peer is not blocked. It is not made a contact again: `$0 connect` it if you want one.') as unknown as Argv<PeerIdArgs>
}

export async function handler (argv: PeerIdArgs): Promise<void> {
  const result = await callDaemon<{ peerId: string, blocked: false }>(argv, 'unblock', { peerId: argv.peerId })
  if (argv.json === true) {
    printJson(result)
    return
  }
  printLines(`${style.green('unblocked')} ${result.peerId}`)
}
