import { statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'

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
 * the nearest `peerConf.json` in `cwd` or a folder above it, as git finds
 * its repository (stopping at the filesystem root), so every command works
 * from a subfolder of a node. With `upwards: false` (for `peerit init`, which
 * must not find a parent node's file) or when none is found, it is
 * `peerConf.json` in `cwd`. A path naming a folder means `peerConf.json` inside it.
 */
export function resolveConfigPath (options: { config?: string, env?: NodeJS.ProcessEnv, cwd?: string, upwards?: boolean } = {}): string {
  const { env = process.env, cwd = process.cwd(), upwards = true } = options
  const given = [options.config, env[CONFIG_ENV_VARIABLE]].find(path => path != null && path !== '')
  if (given == null) {
    const here = join(resolve(cwd), CONFIG_FILE_NAME)
    return upwards ? findUpwards(resolve(cwd)) ?? here : here
  }
  const path = resolve(cwd, given)
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true ? join(path, CONFIG_FILE_NAME) : path
}

/** The nearest `peerConf.json` (a file) in `folder` or above it. */
function findUpwards (folder: string): string | undefined {
  for (let current = folder; ; current = dirname(current)) {
    const candidate = join(current, CONFIG_FILE_NAME)
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile() === true) {
      return candidate
    }
    if (dirname(current) === current) {
      return undefined
    }
  }
}
