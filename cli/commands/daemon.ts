import { locateNode, requireConfig } from '../context.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface DaemonArgs extends GlobalOptions {
  watch?: boolean
  background: boolean
}

export const command = 'daemon'
export const describe = 'Run the node in the foreground (for systemd, containers, debugging)'

export function builder (y: Argv<GlobalOptions>): Argv<DaemonArgs> {
  return y
    .option('watch', { type: 'boolean', describe: 'follow changes of the shared folder (overrides the config)' })
    .option('background', { type: 'boolean', default: false, hidden: true })
    .epilogue('Stops on SIGINT/SIGTERM or `peerit stop`. Logs to .peerit/peerit.log (and stderr); DEBUG=peerit:* for detail.')
}

export async function handler (argv: DaemonArgs): Promise<void> {
  const location = locateNode(argv)
  // The daemon is the one command that hosts libp2p: load it only here.
  const { runDaemon, tellParent } = await import('../../src/daemon/daemon.ts')
  try {
    requireConfig(location)
    await runDaemon({ configPath: location.configPath, echo: !argv.background, watch: argv.watch })
  } catch (err: any) {
    tellParent({ type: 'error', code: typeof err.code === 'string' ? err.code : 'ERR_START_FAILED', message: err.message })
    throw err
  }
  // Timers of libp2p's internals must not keep a stopped daemon alive.
  process.exit(process.exitCode ?? 0)
}
