import { randomBytes } from 'node:crypto'
import { chmod, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { CONFIG_ENV_VARIABLE, CONFIG_FILE_NAME, STATE_DIR_NAME } from './config-path.ts'
import { InvalidPeerUrlError, parsePeerUrl, sameAddress } from './peer-url.ts'
import { InvalidReachSettingError, parseReachConfig, reachKeyRules } from './reach/config.ts'
import type { ReachConfig } from './reach/config.ts'
import type { PeerLimits } from './limits.ts'
import type { PeerUrl } from './peer-url.ts'

export { CONFIG_ENV_VARIABLE, CONFIG_FILE_NAME, resolveConfigPath, STATE_DIR_NAME } from './config-path.ts'

/** `primary_peer_url` and `secondary_peer_url`: more contacts are added later with `peerit connect`. */
export const MAX_CONFIG_PEERS = 2

/**
 * The `limits` object of `peerConf.json`, camelCased: only the keys the file
 * sets; the others keep `DEFAULT_LIMITS` (src/limits.ts).
 */
export type PeerConfigLimits = Partial<PeerLimits>

/** A validated `peerConf.json`, every path absolute. */
export interface PeerConfig {
  /** The config file this came from (absolute). */
  configPath: string
  /** `listening_ip`: the address the node listens on, default `127.0.0.1`. */
  listeningIp: string
  /** `listening_port`: the TCP port, default 4001; 0 picks a free port at each start. */
  listeningPort: number
  /** `shared_dir`: the folder whose files this peer shares, default `shared` beside the config. */
  sharedDir: string
  /** `download_dir`: where downloads are written, default `downloads` beside the config. */
  downloadDir: string
  /** `primary_peer_url` then `secondary_peer_url`, those that are set. */
  peers: PeerUrl[]
  /** `watch`: re-index the shared folder when it changes, default false. */
  watch: boolean
  /** `provider_max_age_hours` in ms: a discovered file's provider not seen for this long is forgotten (default 24 h). */
  providerMaxAgeMs: number
  /** `share_downloads`: serve completed downloads to other peers like shared files, default true. */
  shareDownloads: boolean
  /** `.peerit` beside the config file (mode 0700). */
  stateDir: string
  /** `limits`: rates, caps and ban rules the file sets (docs/security.md). */
  limits: PeerConfigLimits
  /** `web_ui`: serve the web UI on 127.0.0.1, default true. */
  webUi: boolean
  /** `web_ui_port`: its TCP port; 0 (default) picks a free one, kept across restarts while it stays free. */
  webUiPort: number
  /** `mdns`, `relay_server`, `upnp`, `announce`, `public_networks` (docs/network.md). */
  reach: ReachConfig
}

/** The stable codes of {@link ConfigError}. */
export const ConfigErrorCode = {
  missing: 'ERR_CONFIG_MISSING',
  invalid: 'ERR_CONFIG_INVALID',
  exists: 'ERR_CONFIG_EXISTS'
} as const

/** One of {@link ConfigErrorCode}'s values. */
export type ConfigErrorCode = typeof ConfigErrorCode[keyof typeof ConfigErrorCode]

/** Thrown when a config file is missing, unreadable or invalid, or when `init` would overwrite one. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode
  /** The config file concerned (absolute). */
  readonly path: string
  /** The file key at fault (e.g. `listening_port`), when one is. */
  readonly key?: string
  constructor (code: ConfigErrorCode, message: string, path: string, key?: string) {
    super(message)
    this.name = 'ConfigError'
    this.code = code
    this.path = path
    if (key != null) {
      this.key = key
    }
  }
}

/** Flags of `peerit init`; relative folders are written as given, so they resolve against the config's folder. */
export interface InitOptions {
  ip?: string
  port?: number
  sharedDir?: string
  downloadDir?: string
  /** At most {@link MAX_CONFIG_PEERS}: the primary then the secondary peer url. */
  peers?: string[]
  /** Overwrite an existing config file. */
  force?: boolean
  watch?: boolean
}

interface ParseContext {
  /** The config file's folder, against which relative paths resolve. */
  configDir: string
}

/** How one key of the file is checked; `parse` returns undefined for a value of the wrong kind. */
interface KeyRule<T> {
  /** The raw value used when the key is absent (and written by `peerit init`). */
  fallback: unknown
  /** Completes "<key> must be …". */
  expected: string
  parse: (value: unknown, context: ParseContext) => T | undefined
}

function folderRule (fallback: string): KeyRule<string> {
  return {
    fallback,
    expected: 'a folder path (a non-empty string)',
    parse: (value, { configDir }) => typeof value === 'string' && value.trim() !== '' ? resolve(configDir, expandHome(value)) : undefined
  }
}

/**
 * `~` and `~/…` are the user's home folder, as a shell would read them; a
 * JSON file has no shell to do it. `~user/…` is not expanded (it would be a
 * folder named so beside the config).
 */
export function expandHome (path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path
}

// Empty string and null both mean "no peer", as in the original's template.
const peerUrl: KeyRule<PeerUrl | null> = {
  fallback: '',
  expected: 'host:port, a multiaddr, "" or null',
  parse: value => value == null || value === '' ? null : typeof value === 'string' ? parsePeerUrl(value) : undefined
}

/** Every key `peerConf.json` may hold: the original's, plus `watch`, `provider_max_age_hours` and `limits`. */
const keyRules = {
  listening_ip: {
    fallback: '127.0.0.1',
    expected: 'an IP address such as 127.0.0.1, 0.0.0.0 or ::',
    parse: (value: unknown) => value === 'localhost' ? '127.0.0.1' : typeof value === 'string' && isIP(value) !== 0 ? value : undefined
  },
  listening_port: {
    fallback: 4001,
    expected: 'an integer from 0 to 65535 (0 picks a free port)',
    parse: (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535 ? value as number : undefined
  },
  shared_dir: folderRule('./shared'),
  download_dir: folderRule('./downloads'),
  primary_peer_url: peerUrl,
  secondary_peer_url: peerUrl,
  watch: {
    fallback: false,
    expected: 'true or false',
    parse: (value: unknown) => typeof value === 'boolean' ? value : undefined
  },
  share_downloads: {
    fallback: true,
    expected: 'true or false',
    parse: (value: unknown) => typeof value === 'boolean' ? value : undefined
  },
  provider_max_age_hours: {
    fallback: 24,
    expected: 'a number of hours from 0.01 to 8760',
    parse: (value: unknown) => typeof value === 'number' && value >= 0.01 && value <= 8760 ? value : undefined
  },
  web_ui: {
    fallback: true,
    expected: 'true or false',
    parse: (value: unknown) => typeof value === 'boolean' ? value : undefined
  },
  web_ui_port: {
    fallback: 0,
    expected: 'an integer from 0 to 65535 (0 picks a free port)',
    parse: (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535 ? value as number : undefined
  },
  ...reachKeyRules
} satisfies Record<string, KeyRule<unknown>>

type ConfigKey = keyof typeof keyRules
type ConfigValues = { [K in ConfigKey]: Exclude<ReturnType<typeof keyRules[K]['parse']>, undefined> }

// Keys of the original PeerIT that no longer mean anything (the Docker server's folder).
const OBSOLETE_KEYS = new Set(['server_path'])

/** The key of the nested limits object; absent from `init`'s output so new files stay short. */
const LIMITS_KEY = 'limits'

/** How one key of `limits` is checked: a whole number in [min, max], or 0 when 0 means "off". */
interface LimitRule {
  field: keyof PeerLimits
  min: number
  max: number
  /** What 0 means, when 0 is allowed. */
  zero?: string
}

/** The smallest byte rate a rate limit may be (besides 0, unlimited): below 16 KiB/s a 1 MiB piece takes over a minute and clients give up on it. */
export const MIN_RATE_LIMIT = 16_384
/** The largest byte rate a rate limit may be (1 TiB/s). */
export const MAX_RATE_LIMIT = 2 ** 40

// Bounds keep a typo (or a unit mix-up) from switching a defence off or the node from working at all.
const limitRules = {
  max_connections: { field: 'maxConnections', min: 1, max: 100_000 },
  max_incoming_pending_connections: { field: 'maxIncomingPendingConnections', min: 1, max: 10_000 },
  inbound_connections_per_second: { field: 'inboundConnectionsPerSecond', min: 1, max: 100_000 },
  // identify, ping, fetch and file each need a few streams at once
  max_inbound_streams_per_connection: { field: 'maxInboundStreamsPerConnection', min: 16, max: 100_000 },
  // one request per 10-second window is the smallest allowance the limiter can grant
  fetch_requests_per_minute: { field: 'fetchRequestsPerMinute', min: 6, max: 10_000_000, zero: 'no limit' },
  max_concurrent_fetches_per_peer: { field: 'maxConcurrentFetchesPerPeer', min: 1, max: 10_000 },
  max_concurrent_fetches: { field: 'maxConcurrentFetches', min: 1, max: 100_000 },
  file_requests_per_minute: { field: 'fileRequestsPerMinute', min: 6, max: 10_000_000, zero: 'no limit' },
  max_concurrent_file_requests_per_peer: { field: 'maxConcurrentFileRequestsPerPeer', min: 1, max: 10_000 },
  max_concurrent_file_requests: { field: 'maxConcurrentFileRequests', min: 1, max: 100_000 },
  upload_bytes_per_second: { field: 'uploadBytesPerSecond', min: MIN_RATE_LIMIT, max: MAX_RATE_LIMIT, zero: 'unlimited' },
  upload_bytes_per_second_per_peer: { field: 'uploadBytesPerSecondPerPeer', min: MIN_RATE_LIMIT, max: MAX_RATE_LIMIT, zero: 'unlimited' },
  download_bytes_per_second: { field: 'downloadBytesPerSecond', min: MIN_RATE_LIMIT, max: MAX_RATE_LIMIT, zero: 'unlimited' },
  strikes_before_ban: { field: 'strikesBeforeBan', min: 1, max: 1_000_000, zero: 'never ban' },
  strike_window_seconds: { field: 'strikeWindowSeconds', min: 1, max: 86_400 },
  ban_seconds: { field: 'banSeconds', min: 1, max: 31_536_000 },
  // a relay needs at least one slot to be one; 0 for the byte rates means "no cap"
  relay_max_reservations: { field: 'relayMaxReservations', min: 1, max: 100_000 },
  relay_max_circuits: { field: 'relayMaxCircuits', min: 1, max: 100_000 },
  relay_bytes_per_second: { field: 'relayBytesPerSecond', min: 16_384, max: 2 ** 40, zero: 'unlimited' },
  relay_bytes_per_second_per_peer: { field: 'relayBytesPerSecondPerPeer', min: 16_384, max: 2 ** 40, zero: 'unlimited' }
} satisfies Record<string, LimitRule>

/**
 * Reads and validates a config file, then creates its shared, download and
 * state folders if they are missing. Unknown keys come back as warnings.
 */
export async function loadConfig (path: string): Promise<{ config: PeerConfig, warnings: string[] }> {
  const configPath = resolve(path)
  const raw = parseJsonObject(await readConfigText(configPath), configPath)
  const warnings = Object.keys(raw)
    .filter(key => !Object.hasOwn(keyRules, key) && !OBSOLETE_KEYS.has(key) && key !== LIMITS_KEY)
    .map(key => `unknown key '${key}' in ${configPath} (ignored)`)
  const values = validate(raw, configPath)
  const limits = parseLimits(raw[LIMITS_KEY], configPath, warnings)
  const configDir = dirname(configPath)
  const config: PeerConfig = {
    configPath,
    listeningIp: values.listening_ip,
    listeningPort: values.listening_port,
    sharedDir: values.shared_dir,
    downloadDir: values.download_dir,
    peers: [values.primary_peer_url, values.secondary_peer_url].filter(url => url != null),
    watch: values.watch,
    shareDownloads: values.share_downloads,
    providerMaxAgeMs: Math.round(values.provider_max_age_hours * 3_600_000),
    stateDir: join(configDir, STATE_DIR_NAME),
    limits,
    webUi: values.web_ui,
    webUiPort: values.web_ui_port,
    reach: parseReachConfig(values)
  }
  if (config.peers.length === 2 && sameAddress(config.peers[0].multiaddr, config.peers[1].multiaddr)) {
    warnings.push(`primary_peer_url and secondary_peer_url in ${configPath} are the same address`)
  }
  if (contains(config.sharedDir, config.stateDir)) {
    // The state folder holds the node's private key: it must never become shareable.
    throw new ConfigError(ConfigErrorCode.invalid, `shared_dir in ${configPath} must not contain the state folder ${config.stateDir}; pick a folder of its own such as ./shared`, configPath, 'shared_dir')
  }
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
  const peers = options.peers ?? []
  if (peers.length > MAX_CONFIG_PEERS) {
    throw new ConfigError(ConfigErrorCode.invalid, `a config names at most ${MAX_CONFIG_PEERS} peers (primary_peer_url and secondary_peer_url), not ${peers.length}; add more with \`peerit connect\` once the node runs`, configPath)
  }
  // The reachability keys keep their defaults unwritten, so new files stay short.
  const raw: Record<Exclude<ConfigKey, keyof typeof reachKeyRules>, unknown> = {
    listening_ip: options.ip ?? keyRules.listening_ip.fallback,
    listening_port: options.port ?? keyRules.listening_port.fallback,
    shared_dir: options.sharedDir ?? keyRules.shared_dir.fallback,
    download_dir: options.downloadDir ?? keyRules.download_dir.fallback,
    primary_peer_url: peers[0] ?? keyRules.primary_peer_url.fallback,
    secondary_peer_url: peers[1] ?? keyRules.secondary_peer_url.fallback,
    watch: options.watch ?? keyRules.watch.fallback,
    share_downloads: keyRules.share_downloads.fallback,
    provider_max_age_hours: keyRules.provider_max_age_hours.fallback,
    web_ui: keyRules.web_ui.fallback,
    web_ui_port: keyRules.web_ui_port.fallback
  }
  // The same checks as loading, so `init` never writes a file that `start` rejects.
  validate(raw, configPath)
  if (options.force !== true && await exists(configPath)) {
    throw new ConfigError(ConfigErrorCode.exists, `${configPath} already exists; pass --force to overwrite it`, configPath)
  }
  await mkdir(dirname(configPath), { recursive: true })
  // Write beside the target and rename, so a crash never leaves a half-written config.
  const temporary = `${configPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, `${JSON.stringify(raw, null, 2)}\n`, { flag: 'wx' })
    await rename(temporary, configPath)
  } finally {
    await rm(temporary, { force: true })
  }
  return { path: configPath, raw }
}

function validate (raw: Record<string, unknown>, configPath: string): ConfigValues {
  const context = { configDir: dirname(configPath) }
  const entries = Object.entries(keyRules).map(([key, rule]: [string, KeyRule<unknown>]) => {
    const value = Object.hasOwn(raw, key) ? raw[key] : rule.fallback
    let parsed: unknown
    try {
      parsed = rule.parse(value, context)
    } catch (err) {
      if (err instanceof InvalidPeerUrlError || err instanceof InvalidReachSettingError) {
        throw new ConfigError(ConfigErrorCode.invalid, `${key} in ${configPath}: ${err.message}`, configPath, key)
      }
      throw err
    }
    if (parsed === undefined) {
      throw new ConfigError(ConfigErrorCode.invalid, `${key} in ${configPath} must be ${rule.expected}, not ${describe(value)}`, configPath, key)
    }
    return [key, parsed]
  })
  return Object.fromEntries(entries) as ConfigValues
}

/** Checks the `limits` object (absent or null: none set); its unknown keys are added to `warnings`. */
function parseLimits (value: unknown, configPath: string, warnings: string[]): PeerConfigLimits {
  if (value == null) {
    return {}
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(ConfigErrorCode.invalid, `${LIMITS_KEY} in ${configPath} must be an object such as {"max_connections": 300}, not ${describe(value)}`, configPath, LIMITS_KEY)
  }
  const given = value as Record<string, unknown>
  const limits: PeerConfigLimits = {}
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(limitRules, key)) {
      warnings.push(`unknown key '${LIMITS_KEY}.${key}' in ${configPath} (ignored)`)
      continue
    }
    const rule: LimitRule = limitRules[key as keyof typeof limitRules]
    const number = given[key]
    const valid = Number.isInteger(number) && (((number as number) >= rule.min && (number as number) <= rule.max) || (number === 0 && rule.zero != null))
    if (!valid) {
      const expected = `an integer from ${rule.min} to ${rule.max}${rule.zero == null ? '' : ` (or 0: ${rule.zero})`}`
      throw new ConfigError(ConfigErrorCode.invalid, `${LIMITS_KEY}.${key} in ${configPath} must be ${expected}, not ${describe(number)}`, configPath, `${LIMITS_KEY}.${key}`)
    }
    limits[rule.field] = number as number
  }
  return limits
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
    throw new ConfigError(ConfigErrorCode.invalid, `${configPath} must hold a JSON object such as {"listening_port": 4001}, not ${describe(value)}`, configPath)
  }
  return value as Record<string, unknown>
}

/**
 * Creates a folder the config names; `key` is undefined for the state folder,
 * which is private. True when the folder did not exist.
 */
async function createFolder (folderPath: string, configPath: string, key?: ConfigKey): Promise<boolean> {
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

/** True when `inner` is `outer` or lies inside it. */
function contains (outer: string, inner: string): boolean {
  const path = relative(outer, inner)
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path))
}

/** A short rendering of a rejected value for an error message. */
function describe (value: unknown): string {
  let text: string
  try {
    // String() for numbers so NaN (from a flag like `--port abc`) does not print as JSON's null.
    text = Array.isArray(value) ? 'an array' : typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value)
  } catch {
    // JSON.stringify recurses: an object nested thousands deep (which JSON.parse accepts) overflows the stack.
    text = 'a deeply nested object'
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
