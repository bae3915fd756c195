import { createWriteStream } from 'node:fs'
import { defaultLogger } from '@libp2p/logger'
import { loadConfig } from '../config.ts'
import { AlreadyRunningError, ListenError } from '../errors.ts'
import { IpcServer } from '../ipc/server.ts'
import { listenAddress } from '../libp2p.ts'
import { createPeerNode } from '../peer-node.ts'
import { uiRpcMethods } from '../ui/rpc.ts'
import { UiServer } from '../ui/server.ts'
import { followConfig } from './config-watch.ts'
import { finishedLogLine, statusLogLine } from './download-log.ts'
import { lockIdentity } from './identity-lock.ts'
import { withConfigAdvice } from './listen-advice.ts'
import { livePid, removePidFile, writePidFile } from './pid-file.ts'
import { rpcMethods } from './rpc-methods.ts'
import { saveLimits } from './save-limits.ts'
import { stateFiles } from './state-files.ts'
import type { IdentityLock } from './identity-lock.ts'

/** What a daemon started by `peerit start` tells its parent over the IPC channel. */
export type DaemonReadyMessage =
  | { type: 'ready', peerId: string, addresses: string[], pid: number, warnings: string[] }
  | { type: 'error', code: string, message: string }

/** Options of {@link runDaemon}. */
export interface RunDaemonOptions {
  configPath: string
  /** Also echo the log to stderr (`peerit daemon` on a terminal). */
  echo: boolean
  /** Overrides the config's `watch`. */
  watch?: boolean
}

/**
 * Runs a PeerIT node as a daemon until SIGINT/SIGTERM or an RPC `stop`: loads
 * the config, takes the state folder (refusing a live daemon, cleaning a dead
 * one's pid file and socket), starts the node and the IPC socket, and tells a
 * parent `peerit start` when it is ready. Resolves once it has stopped.
 */
export async function runDaemon (options: RunDaemonOptions): Promise<void> {
  const { config, warnings } = await loadConfig(options.configPath)
  const files = stateFiles(config.stateDir)
  const logFile = createWriteStream(files.log, { flags: 'a', mode: 0o600 })
  const log = (line: string): void => {
    const stamped = `${new Date().toISOString()} ${line}\n`
    logFile.write(stamped)
    if (options.echo) {
      process.stderr.write(stamped)
    }
  }
  warnings.forEach(warning => { log(`warning: ${warning}`) })

  const running = await livePid(files.pid)
  if (running != null && running !== process.pid) {
    throw new AlreadyRunningError(`PeerIT is already running for ${config.configPath} (pid ${running})`)
  }

  const node = await createPeerNode({
    stateDir: config.stateDir,
    sharedDir: config.sharedDir,
    downloadDir: config.downloadDir,
    listen: [listenAddress(config.listeningIp, config.listeningPort)],
    peers: config.peers.map(p => p.input),
    watch: options.watch ?? config.watch,
    providerMaxAgeMs: config.providerMaxAgeMs,
    shareDownloads: config.shareDownloads,
    limits: config.limits,
    reach: config.reach,
    dht: { enabled: config.dht.enabled, mode: config.dht.mode },
    logger: defaultLogger()
  })
  let identityLock: IdentityLock | undefined
  // Before start: the first notices (a part switched off, no UPnP router) come while starting.
  node.addEventListener('reach:notice', (event) => { log(event.detail.message) })
  // Before start(): downloads resumed at start are logged too.
  node.addEventListener('download:status', (event) => {
    const line = statusLogLine(event.detail)
    if (line != null) {
      log(line)
    }
  })
  node.addEventListener('download:finished', (event) => { log(finishedLogLine(event.detail)) })
  const configWatch = followConfig(node, config, log)
  let stopping: Promise<void> | undefined
  let resolveStopped: () => void = () => {}
  const stopped = new Promise<void>((resolve) => { resolveStopped = resolve })
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log('stopping')
      configWatch.close()
      await ipc.close().catch(() => {})
      await ui?.close().catch(() => {})
      await node.stop().catch((err: Error) => { log(`error while stopping: ${err.message}`) })
      await removePidFile(files.pid)
      await identityLock?.release()
      log('stopped')
      await new Promise<void>((resolve) => { logFile.end(resolve) })
      resolveStopped()
    })()
    return stopping
  }
  const methods = rpcMethods(node, {
    pid: process.pid,
    requestStop: () => { void stop() },
    saveLimits: async (limits) => { await saveLimits(config.configPath, limits) }
  })
  const ui = config.webUi
    ? new UiServer({ port: config.webUiPort, tokenPath: files.uiToken, portPath: files.uiPort, sharedDir: config.sharedDir, methods, events: node, logger: defaultLogger() })
    : undefined
  const ipc = new IpcServer({
    socketPath: files.socket,
    methods: { ...methods, ...uiRpcMethods(ui) },
    logger: defaultLogger()
  })

  try {
    // Before the node goes on the network: a copy of this folder may be running with the same identity.
    identityLock = await lockIdentity(node.peerId, config.stateDir)
    await node.start()
    await writePidFile(files.pid)
    await ipc.listen()
    await ui?.listen()
  } catch (err) {
    await ui?.close().catch(() => {})
    configWatch.close()
    await ipc.close().catch(() => {})
    await node.stop().catch(() => {})
    await removePidFile(files.pid)
    await identityLock?.release()
    logFile.end()
    throw err instanceof ListenError ? withConfigAdvice(err, config.configPath) : err
  }
  process.once('SIGINT', () => { void stop() })
  process.once('SIGTERM', () => { void stop() })

  const status = node.status()
  log(`started ${status.peerId} (pid ${process.pid}) listening on ${status.addresses.join(' ')}`)
  if (ui != null) {
    log(`web UI on http://127.0.0.1:${ui.port}/ (log in with \`peerit ui\`)`)
  }
  node.addEventListener('peer:connected', (event) => { log(`peer connected ${event.detail.peerId}`) })
  node.addEventListener('peer:disconnected', (event) => { log(`peer disconnected ${event.detail.peerId}`) })
  tellParent({ type: 'ready', peerId: status.peerId, addresses: status.addresses, pid: process.pid, warnings })
  await stopped
}

/** Sends the ready/error message to a `peerit start` parent, if there is one. */
export function tellParent (message: DaemonReadyMessage): void {
  if (process.send != null && process.connected) {
    process.send(message)
    process.disconnect()
  }
}
