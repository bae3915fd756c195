import { openSync, closeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { daemonProcessEnv } from '../../src/daemon/process-env.ts'
import { PeeritError } from '../../src/errors.ts'
import { IpcClient } from '../../src/ipc/client.ts'
import { locateNode, requireConfig } from '../context.ts'
import { printJson, printLines, style, warn } from '../output.ts'
import type { DaemonReadyMessage } from '../../src/daemon/daemon.ts'
import type { GlobalOptions, NodeLocation } from '../context.ts'
import type { Argv } from 'yargs'

/** A daemon that is not ready by then has failed (a LevelDB repair can take a while). */
const READY_TIMEOUT_MS = 30_000

interface StartArgs extends GlobalOptions {
  watch?: boolean
}

export const command = 'start'
export const describe = 'Start the node in the background; returns once it listens'

export function builder (y: Argv<GlobalOptions>): Argv<StartArgs> {
  return y.option('watch', { type: 'boolean', describe: 'follow changes of the shared folder (overrides the config)' })
}

export async function handler (argv: StartArgs): Promise<void> {
  const location = locateNode(argv)
  requireConfig(location)
  const running = await runningStatus(location)
  if (running != null) {
    if (argv.json === true) {
      printJson({ peerId: running.peerId, addresses: running.addresses, pid: running.pid, alreadyRunning: true })
    } else {
      printLines(`PeerIT is already running (pid ${running.pid}): ${running.peerId}`)
    }
    return
  }
  const ready = await spawnDaemon(location, argv.watch)
  ready.warnings?.forEach(warning => { warn(warning) })
  if (argv.json === true) {
    printJson({ peerId: ready.peerId, addresses: ready.addresses, pid: ready.pid })
    return
  }
  printLines(
    `${style.green('started')} PeerIT (pid ${ready.pid})`,
    `peer id    ${ready.peerId}`,
    ...ready.addresses.map((a, i) => `${i === 0 ? 'listening ' : '          '} ${a}`),
    `log        ${location.files.log}`,
    '',
    `Next: ${style.bold('peerit status')}, ${style.bold('peerit connect <host:port>')}, ${style.bold('peerit fetch')}`
  )
}

/** What a started (or already running) daemon reports. */
export interface RunningStatus { peerId: string, addresses: string[], pid: number, warnings?: string[] }

/** The status of the daemon at a location, or undefined when none answers. */
export async function runningStatus (location: NodeLocation): Promise<RunningStatus | undefined> {
  try {
    const client = await IpcClient.connect(location.files.socket, 1000)
    try {
      return await client.call<RunningStatus>('status', {}, { timeoutMs: 5000 })
    } finally {
      client.close()
    }
  } catch {
    return undefined
  }
}

/**
 * Starts `peerit daemon` detached, its output appended to the log, and waits
 * for its ready (or error) message on the IPC channel: "started" is only
 * printed once the node listens and its socket answers.
 */
export async function spawnDaemon (location: NodeLocation, watch?: boolean): Promise<RunningStatus> {
  await mkdir(location.files.stateDir, { recursive: true, mode: 0o700 })
  const log = openSync(location.files.log, 'a', 0o600)
  // Through the launcher, so the daemon also gets Node's compile cache.
  const launcher = fileURLToPath(new URL('../../bin/peerit.js', import.meta.url))
  const args = [launcher, 'daemon', '--config', location.configPath, '--background']
  if (watch != null) {
    args.push(watch ? '--watch' : '--no-watch')
  }
  // node:child_process is loaded here only: every short command would pay for it.
  const { spawn } = process.getBuiltinModule('node:child_process')
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log, 'ipc'], env: daemonProcessEnv() })
  closeSync(log)
  try {
    return await new Promise<RunningStatus>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGTERM')
        reject(new PeeritError('StartError', 'ERR_START_TIMEOUT', `the daemon was not ready within ${READY_TIMEOUT_MS / 1000} s: see ${location.files.log}`))
      }, READY_TIMEOUT_MS)
      child.once('message', (message: DaemonReadyMessage) => {
        clearTimeout(timer)
        if (message.type === 'ready') {
          resolve(message)
        } else {
          reject(new PeeritError('StartError', message.code, message.message))
        }
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new PeeritError('StartError', 'ERR_START_FAILED', `the daemon exited (code ${code}) before it was ready: see ${location.files.log}`))
      })
    })
  } finally {
    child.removeAllListeners()
    if (child.connected) {
      child.disconnect()
    }
    child.unref()
  }
}
