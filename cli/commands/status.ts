import { callDaemon } from '../context.ts'
import { EXIT_CODES, formatDuration, printJson, printLines, style } from '../output.ts'
import { reachabilitySentence } from '../reachability.ts'
import type { NodeStatus } from '../../src/peer-node.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

type StatusResult = NodeStatus & { running: true, pid: number }

export const command = 'status'
export const describe = 'Show whether the node runs, its peers and files'

export function builder (y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return y.epilogue('Exits with 3 when no node is running, with 2 when there is no config (like every command).')
}

export async function handler (argv: GlobalOptions): Promise<void> {
  let status: StatusResult
  try {
    status = await callDaemon<StatusResult>(argv, 'status')
  } catch (err: any) {
    if (err.code !== 'ERR_NOT_RUNNING') {
      throw err
    }
    if (argv.json === true) {
      printJson({ running: false })
    } else {
      printLines(`PeerIT is ${style.red('not running')}. Start it with \`peerit start\`.`)
    }
    process.exitCode = EXIT_CODES.notRunning
    return
  }
  if (argv.json === true) {
    printJson(status)
    return
  }
  printLines(
    `PeerIT ${status.version} is ${style.green('running')} (pid ${status.pid}, up ${formatDuration(status.uptimeSeconds)})`,
    `peer id          ${status.peerId}`,
    ...status.addresses.map((a, i) => `${i === 0 ? 'listening on    ' : '                '} ${a}`),
    `reachable        ${reachabilitySentence(status)}`,
    `connected peers  ${status.connectedPeers}`,
    `contacts         ${status.contacts}`,
    `shared files     ${status.sharedFiles}`,
    `discovered files ${status.discoveredFiles}`
  )
}
