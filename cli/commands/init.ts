import { locateNode } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface InitArgs extends GlobalOptions {
  ip?: string
  port?: number
  sharedDir?: string
  downloadDir?: string
  peer?: string[]
  force: boolean
  watch?: boolean
}

export const command = 'init'
export const describe = 'Write a peerConf.json (here, or at --config)'

export function builder (y: Argv<GlobalOptions>): Argv<InitArgs> {
  return y
    .option('ip', { type: 'string', describe: 'listening_ip (default 127.0.0.1)' })
    .option('port', { type: 'number', describe: 'listening_port (default 4001; 0 = any free port)' })
    .option('shared-dir', { type: 'string', describe: 'shared_dir, relative to the config (default ./shared)' })
    .option('download-dir', { type: 'string', describe: 'download_dir, relative to the config (default ./downloads)' })
    .option('peer', { type: 'string', array: true, describe: 'a peer url (host:port or multiaddr); give it up to twice' })
    .option('watch', { type: 'boolean', describe: 'follow changes of the shared folder' })
    .option('force', { type: 'boolean', default: false, describe: 'overwrite an existing config' })
    .check((argv) => {
      // yargs turns `--port abc` into NaN: say what a port is rather than "not NaN".
      const port = argv.port as number | undefined
      if (port != null && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
        throw new Error('--port must be a whole number from 0 to 65535 (0 picks a free port)')
      }
      return true
    })
    .example('$0 init --port 4001 --peer 127.0.0.1:4002', 'a peer on port 4001 that connects to another on 4002') as unknown as Argv<InitArgs>
}

export async function handler (argv: InitArgs): Promise<void> {
  // Here, not a parent node's file: init starts a new node.
  const { configPath } = locateNode(argv, { upwards: false })
  // The validator pulls in the multiaddr and peer-id parsers: only this command pays for them.
  const { loadConfig, writeInitialConfig } = await import('../../src/config.ts')
  const written = await writeInitialConfig(configPath, {
    ip: argv.ip,
    port: argv.port,
    sharedDir: argv.sharedDir,
    downloadDir: argv.downloadDir,
    peers: argv.peer,
    watch: argv.watch,
    force: argv.force
  })
  // Loading it once creates the shared and download folders, so files can go in right away.
  await loadConfig(written.path)
  if (argv.json === true) {
    printJson({ path: written.path, config: written.raw })
    return
  }
  printLines(`${style.green('wrote')} ${written.path}`, JSON.stringify(written.raw, null, 2), '', `Next: ${style.bold('peerit start')}`)
}
