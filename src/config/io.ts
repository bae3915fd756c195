/**
 * `peerConf.json` on disk: reading and checking a file (against schema.ts),
 * creating the folders it names, and writing a new one for `peerit init`.
 * Finding the file is find.ts.
 */
import { chmod, lstat, mkdir, readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { replaceFile } from '../replace-file.ts'
import { ConfigError, ConfigErrorCode, describeValue } from './errors.ts'
import { CONFIG_ENV_VARIABLE, CONFIG_FILE_NAME } from './find.ts'
import { initialConfig, parseConfig } from './schema.ts'
import type { InitOptions, PeerConfig } from './schema.ts'

/**
 * Reads and validates a config file, then creates its shared, download and
 * state folders if they are missing. Unknown keys come back as warnings.
 */
export async function loadConfig (path: string): Promise<{ config: PeerConfig, warnings: string[] }> {
  const configPath = resolve(path)
  const { config, warnings } = parseConfig(parseJsonObject(await readConfigText(configPath), configPath), configPath)
  for (const [key, folder] of [['shared_dir', config.sharedDir], ['download_dir', config.downloadDir]] as const) {
    if (await createFolder(folder, configPath, key)) {
      // A typo in the path would otherwise go unnoticed: the node just shares an empty folder.
      warnings.push(`${key} ${folder} did not exist: created it (from ${configPath})`)
    }
  }
  await createFolder(config.stateDir, configPath)
  return { config, warnings }
}

/**
 * Writes a new `peerConf.json` with the original key names and PeerIT's
 * defaults, refusing to replace an existing file unless `force` is set.
 */
export async function writeInitialConfig (path: string, options: InitOptions = {}): Promise<{ path: string, raw: Record<string, unknown> }> {
  const configPath = resolve(path)
  const raw = initialConfig(options, configPath)
  if (options.force !== true && await exists(configPath)) {
    throw new ConfigError(ConfigErrorCode.exists, `${configPath} already exists; pass --force to overwrite it`, configPath)
  }
  await mkdir(dirname(configPath), { recursive: true })
  // Replaced atomically, so a crash never leaves a half-written config.
  await replaceFile(configPath, `${JSON.stringify(raw, null, 2)}\n`)
  return { path: configPath, raw }
}

async function readConfigText (configPath: string): Promise<string> {
  try {
    return await readFile(configPath, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigError(ConfigErrorCode.missing, `no config file at ${configPath}; run \`peerit init\` to write one there, or point --config or ${CONFIG_ENV_VARIABLE} at an existing ${CONFIG_FILE_NAME}`, configPath)
    }
    throw new ConfigError(ConfigErrorCode.invalid, `cannot read ${configPath}: ${(err as Error).message}`, configPath)
  }
}

function parseJsonObject (text: string, configPath: string): Record<string, unknown> {
  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  const json = text.replace(/^\uFEFF/, '')
  if (json.trim() === '') {
    throw new ConfigError(ConfigErrorCode.invalid, `${configPath} is empty; run \`peerit init --force\` to write a fresh one`, configPath)
  }
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (err) {
    // V8's message already carries the position as "(line L column C)".
    throw new ConfigError(ConfigErrorCode.invalid, `${configPath} is not valid JSON: ${(err as Error).message}`, configPath)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(ConfigErrorCode.invalid, `${configPath} must hold a JSON object such as {"listening_port": 4001}, not ${describeValue(value)}`, configPath)
  }
  return value as Record<string, unknown>
}

/**
 * Creates a folder the config names; `key` is undefined for the state folder,
 * which is private. True when the folder did not exist.
 */
async function createFolder (folderPath: string, configPath: string, key?: 'shared_dir' | 'download_dir'): Promise<boolean> {
  try {
    if (key != null) {
      return await mkdir(folderPath, { recursive: true }) !== undefined
    }
    const created = await mkdir(folderPath, { recursive: true, mode: 0o700 })
    // Also tighten a folder that already existed: it holds the private key and the control socket.
    await chmod(folderPath, 0o700)
    return created !== undefined
  } catch (err) {
    throw new ConfigError(ConfigErrorCode.invalid, `cannot create ${key ?? 'the state folder'} ${folderPath} (from ${configPath}): ${(err as Error).message}`, configPath, key)
  }
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return false
    }
    throw err
  }
}
