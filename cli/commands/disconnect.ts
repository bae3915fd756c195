import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface DisconnectArgs extends GlobalOptions {
  target: string
}

export const command = 'disconnect <target>'
export const describe = 'Hang up on a peer and remove it from the contacts'

export function builder (y: Argv<GlobalOptions>): Argv<DisconnectArgs> {
  return y.positional('target', { type: 'string', demandOption: true, describe: 'a peer id, host:port or multiaddr' }) as unknown as Argv<DisconnectArgs>
}

export async function handler (argv: DisconnectArgs): Promise<void> {
  const result = await callDaemon<{ peerIds: string[], contactsRemoved: number }>(argv, 'disconnect', { target: argv.target })
  if (argv.json === true) {
    printJson(result)
  } else {
    printLines(`${style.green('disconnected')} ${result.peerIds.join(', ') || argv.target} (${result.contactsRemoved} contact${result.contactsRemoved === 1 ? '' : 's'} removed)`)
  }
}
