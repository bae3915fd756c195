import { livePid } from '../../src/daemon/pid-file.ts'
import { PeeritError } from '../../src/errors.ts'
import { callDaemon, locateNode } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

/** How long a graceful stop (flushing contacts and stores) may take. */
const STOP_TIMEOUT_MS = 20_000

export const command = 'stop'
export const describe = 'Stop the background node gracefully'

export function builder (y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y
}

export async function handler (argv: GlobalOptions): Promise<void> {
  const { files } = locateNode(argv)
  const { pid } = await callDaemon<{ pid: number }>(argv, 'stop')
  const deadline = Date.now() + STOP_TIMEOUT_MS
  while (await livePid(files.pid) === pid) {
    if (Date.now() > deadline) {
      throw new PeeritError('StopError', 'ERR_STOP_TIMEOUT', `the daemon (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s: kill it with \`kill ${pid}\``)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  if (argv.json === true) {
    printJson({ stopped: true, pid })
  } else {
    printLines(`${style.green('stopped')} PeerIT (pid ${pid})`)
  }
}
