import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { CONFIG_ENV_VARIABLE, resolveConfigPath, STATE_DIR_NAME } from '../src/config-path.ts'
import { stateFiles } from '../src/daemon/state-files.ts'
import { PeeritError } from '../src/errors.ts'
import { IpcClient } from '../src/ipc/client.ts'
import type { StateFiles } from '../src/daemon/state-files.ts'
import type { CallOptions } from '../src/ipc/client.ts'

/** The options every command takes. */
export interface GlobalOptions {
  config?: string
  json?: boolean
}

/** The config file a command acts on, and its state folder's files. */
export interface NodeLocation {
  configPath: string
  files: StateFiles
  /** Whether the folders above were looked in too (no --config, no PEERIT_CONFIG). */
  searchedUpwards?: boolean
}

/**
 * Finds the node a command talks to: `--config`, then `PEERIT_CONFIG`, then
 * the nearest `peerConf.json` here or in a folder above (only here with
 * `upwards: false`). Only the path is needed here; the daemon validates the
 * file itself.
 */
export function locateNode (argv: GlobalOptions, options: { upwards?: boolean } = {}): NodeLocation {
  const configPath = resolveConfigPath({ config: argv.config, env: process.env, cwd: process.cwd(), upwards: options.upwards })
  const searchedUpwards = options.upwards !== false && [argv.config, process.env[CONFIG_ENV_VARIABLE]].every(given => given == null || given === '')
  return { configPath, files: stateFiles(join(dirname(configPath), STATE_DIR_NAME)), searchedUpwards }
}

/** Throws the "create a config first" error when there is no config file. */
export function requireConfig (location: NodeLocation): void {
  if (!existsSync(location.configPath)) {
    throw new PeeritError('ConfigError', 'ERR_CONFIG_MISSING',
      `no config at ${location.configPath}${location.searchedUpwards === true ? ' nor in a folder above' : ''}: create one with \`peerit init\` (or pass --config PATH)`)
  }
}

/** Runs `work` with one connection to the running daemon, closed afterwards. */
export async function withDaemon<T> (argv: GlobalOptions, work: (client: IpcClient) => Promise<T>): Promise<T> {
  const location = locateNode(argv)
  requireConfig(location)
  const client = await IpcClient.connect(location.files.socket)
  try {
    return await work(client)
  } finally {
    client.close()
  }
}

/** Makes one RPC call to the running daemon. */
export async function callDaemon<T> (argv: GlobalOptions, method: string, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<T> {
  return withDaemon(argv, async client => client.call<T>(method, params, options))
}
