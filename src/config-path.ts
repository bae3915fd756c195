import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'

// Kept apart from config.ts so the CLI can find a node without loading the
// validator and its multiaddr parser: every command's start-up time counts.

/** The config file looked for in the current folder, as in the original PeerIT. */
export const CONFIG_FILE_NAME = 'peerConf.json'
/** The environment variable that names a config file when `--config` is not given. */
export const CONFIG_ENV_VARIABLE = 'PEERIT_CONFIG'
/** The state folder (identity, LevelDB, socket, pid, log), created beside the config file. */
export const STATE_DIR_NAME = '.peerit'

/**
 * The config file to use: `--config PATH` wins, then `PEERIT_CONFIG`, then
 * `peerConf.json` in `cwd`. A path naming a folder means `peerConf.json` inside it.
 */
export function resolveConfigPath (options: { config?: string, env?: NodeJS.ProcessEnv, cwd?: string } = {}): string {
  const { env = process.env, cwd = process.cwd() } = options
  const given = [options.config, env[CONFIG_ENV_VARIABLE]].find(path => path != null && path !== '')
  const path = resolve(cwd, given ?? CONFIG_FILE_NAME)
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true ? join(path, CONFIG_FILE_NAME) : path
}
