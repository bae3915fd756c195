import { peersJson, sharedJson } from '../../src/daemon/json-views.ts'
import { callDaemon } from '../context.ts'
import { formatBytes, printJson, printLines, printTable, shortPeerId, style } from '../output.ts'
import { printDiscoveredFiles } from '../print-files.ts'
import type { BlockedPeer } from '../../src/block-list.ts'
import type { SharedFileRow } from '../../src/daemon/json-views.ts'
import type { DiscoveredFile } from '../../src/discovered-files.ts'
import type { PeerInfo } from '../../src/peer-node.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv, CommandModule } from 'yargs'

const peers: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'peers',
  describe: 'Contacts and connected peers',
  handler: async (argv) => {
    const list = await callDaemon<PeerInfo[]>(argv, 'peers')
    if (argv.json === true) {
      printJson(peersJson(list))
      return
    }
    printTable(['PEER ID', 'STATE', 'SINCE', 'CONTACT', 'SOURCE', 'ADDRESSES'], list.map(p => [
      shortPeerId(p.peerId),
      p.connection === 'relayed' ? style.green('relayed') : p.connected ? style.green('connected') : style.dim('down'),
      p.connectedSince == null ? '-' : new Date(p.connectedSince).toLocaleTimeString(),
      p.contact ? 'yes' : 'no',
      p.source,
      p.addresses.join(' ')
    ]), 'No peers yet: add one with `peerit connect <host:port>`.')
    if (list.some(p => p.peerId != null)) {
      // The short ids are enough to name a peer (`download -p` takes them); the full ones are one flag away.
      printLines(style.dim('Full peer ids: `peerit list peers --json`. `download -p` takes the short ones too.'))
    }
  }
}

const files: CommandModule<GlobalOptions, GlobalOptions & { limit?: number }> = {
  command: 'files',
  describe: 'Files discovered on the network (by `peerit fetch`)',
  builder: (y) => y.option('limit', { type: 'number', describe: 'show at most this many' }) as unknown as Argv<GlobalOptions & { limit?: number }>,
  handler: async (argv) => {
    printDiscoveredFiles(await callDaemon<DiscoveredFile[]>(argv, 'files', { limit: argv.limit }), argv.json === true,
      'No files discovered yet: run `peerit fetch`.')
  }
}

const shared: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'shared',
  describe: 'Files this node shares (its shared index)',
  handler: async (argv) => {
    const list = await callDaemon<SharedFileRow[]>(argv, 'sharedFiles')
    if (argv.json === true) {
      printJson(sharedJson(list))
      return
    }
    printTable(['ID', 'SIZE', 'TYPE', 'PATH'], list.map(f => [f.id.slice(0, 12), formatBytes(f.size), f.type, f.path]),
      'Nothing shared yet: put files in the shared folder and run `peerit sync`, or `peerit share <file>`.')
  }
}

const blocked: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'blocked',
  describe: 'Peers refused with `peerit block`',
  handler: async (argv) => {
    const list = await callDaemon<BlockedPeer[]>(argv, 'blocked')
    if (argv.json === true) {
      printJson(list.map(b => ({ peerId: b.peerId, blockedAt: b.blockedAt })))
      return
    }
    printTable(['PEER ID', 'BLOCKED SINCE'], list.map(b => [b.peerId, new Date(b.blockedAt).toLocaleString()]), 'No peer is blocked.')
  }
}

export const command = 'list <what>'
export const describe = 'List peers, discovered files, shared files or blocked peers'

export function builder (y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y.command(peers).command(files).command(shared).command(blocked).demandCommand(1, 'List what? peers, files, shared or blocked.')
}

export function handler (): void {}
