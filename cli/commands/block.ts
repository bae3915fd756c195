import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { BlockResult } from '../../src/peer-node.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

/** The arguments of `block` and `unblock`. */
export interface PeerIdArgs extends GlobalOptions {
  peerId: string
}

export const command = 'block <peerId>'
export const describe = 'Refuse a peer for good: hang up, drop it as a contact, never connect again'

export function builder (y: Argv<GlobalOptions>): Argv<PeerIdArgs> {
  return y
    .positional('peerId', { type: 'string', demandOption: true, describe: 'the whole peer id (12D3KooW…)' })
    .epilogue('Kept across restarts. Undo with `$0 unblock <peerId>`; see the list with `$0 list blocked`.') as unknown as Argv<PeerIdArgs>
}

export async function handler (argv: PeerIdArgs): Promise<void> {
  const result = await callDaemon<BlockResult>(argv, 'block', { peerId: argv.peerId })
  if (argv.json === true) {
    printJson(result)
    return
  }
  const removed = result.contactsRemoved === 0 ? '' : `, ${result.contactsRemoved} contact${result.contactsRemoved === 1 ? '' : 's'} removed`
  printLines(`${style.green('blocked')} ${result.peerId}${result.disconnected ? ' (disconnected)' : ''}${removed}`)
}
