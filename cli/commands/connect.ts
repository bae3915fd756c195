import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface ConnectArgs extends GlobalOptions {
  url: string
}

export const command = 'connect <url>'
export const describe = 'Connect to a peer (address, or peer id via the DHT) and keep it as a contact'

export function builder (y: Argv<GlobalOptions>): Argv<ConnectArgs> {
  return y
    .positional('url', { type: 'string', demandOption: true, describe: 'host:port, a multiaddr (with or without /p2p/<id>), or a bare peer id' })
    .example('$0 connect 127.0.0.1:4002', '')
    .example('$0 connect /ip4/127.0.0.1/tcp/4002/p2p/12D3KooW…', '')
    .example('$0 connect 12D3KooW…', 'found through the DHT') as unknown as Argv<ConnectArgs>
}

export async function handler (argv: ConnectArgs): Promise<void> {
  // A dial gives up after 15 s in the daemon, a DHT lookup and dial after 30 s; the CLI waits a little longer.
  const result = await callDaemon<{ peerId: string, address: string }>(argv, 'connect', { url: argv.url }, { timeoutMs: 40_000 })
  if (argv.json === true) {
    printJson(result)
  } else {
    printLines(`${style.green('connected')} to ${result.peerId} at ${result.address}`)
  }
}
