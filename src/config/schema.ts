/**
 * The schema of `peerConf.json`: every key, its default and the one rule that
 * checks it, and what a checked file becomes (a {@link PeerConfig}). Nothing
 * here touches the disk: reading, writing and creating folders is io.ts.
 */
import { isIP } from 'node:net'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { dhtKeyRules, parseDhtConfig } from '../dht/config.ts'
import { InvalidPeerUrlError, parsePeerUrl, sameAddress } from '../peer-url.ts'
import { InvalidReachSettingError, parseReachConfig, reachKeyRules } from '../reach/config.ts'
import { ConfigError, ConfigErrorCode, describeValue } from './errors.ts'
import { STATE_DIR_NAME } from './find.ts'
import type { DhtConfig } from '../dht/config.ts'
import type { PeerLimits } from '../limits.ts'
import type { PeerUrl } from '../peer-url.ts'
import type { ReachConfig } from '../reach/config.ts'

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
  /** `web_ui`: serve the web UI on 127.0.0.1, default true. */
  webUi: boolean
  /** `web_ui_port`: its TCP port; 0 (default) picks a free one, kept across restarts while it stays free. */
  webUiPort: number
  /** `.peerit` beside the config file (mode 0700). */
  stateDir: string
  /** `limits`: rates, caps and ban rules the file sets (docs/security.md). */
  limits: PeerConfigLimits
  /** `mdns`, `relay_server`, `upnp`, `announce`, `public_networks` (docs/network.md). */
  reach: ReachConfig
  /** `dht`, `dht_mode` (docs/cli.md). */
  dht: DhtConfig
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
  ...reachKeyRules,
  ...dhtKeyRules
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
 * Checks a parsed `peerConf.json` object against the schema and turns it into
 * a {@link PeerConfig}; unknown keys and suspicious values come back as
 * warnings. Throws a {@link ConfigError} that names the key at fault.
 */
export function parseConfig (raw: Record<string, unknown>, configPath: string): { config: PeerConfig, warnings: string[] } {
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
    webUi: values.web_ui,
    webUiPort: values.web_ui_port,
    providerMaxAgeMs: Math.round(values.provider_max_age_hours * 3_600_000),
    stateDir: join(configDir, STATE_DIR_NAME),
    limits,
    reach: parseReachConfig(values),
    dht: parseDhtConfig(values)
  }
  if (config.peers.length === 2 && sameAddress(config.peers[0].multiaddr, config.peers[1].multiaddr)) {
    warnings.push(`primary_peer_url and secondary_peer_url in ${configPath} are the same address`)
  }
  if (contains(config.sharedDir, config.stateDir)) {
    // The state folder holds the node's private key: it must never become shareable.
    throw new ConfigError(ConfigErrorCode.invalid, `shared_dir in ${configPath} must not contain the state folder ${config.stateDir}; pick a folder of its own such as ./shared`, configPath, 'shared_dir')
  }
  return { config, warnings }
}

/**
 * The keys `peerit init` writes: the original key names with PeerIT's
 * defaults, or the flags given. Checked as loading checks them, so `init`
 * never writes a file that `start` rejects.
 */
export function initialConfig (options: InitOptions, configPath: string): Record<string, unknown> {
  const peers = options.peers ?? []
  if (peers.length > MAX_CONFIG_PEERS) {
    throw new ConfigError(ConfigErrorCode.invalid, `a config names at most ${MAX_CONFIG_PEERS} peers (primary_peer_url and secondary_peer_url), not ${peers.length}; add more with \`peerit connect\` once the node runs`, configPath)
  }
  // The reachability and DHT keys keep their defaults unwritten, so new files stay short.
  const raw: Record<Exclude<ConfigKey, keyof typeof reachKeyRules | keyof typeof dhtKeyRules>, unknown> = {
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
  validate(raw, configPath)
  return raw
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
      throw new ConfigError(ConfigErrorCode.invalid, `${key} in ${configPath} must be ${rule.expected}, not ${describeValue(value)}`, configPath, key)
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
    throw new ConfigError(ConfigErrorCode.invalid, `${LIMITS_KEY} in ${configPath} must be an object such as {"max_connections": 300}, not ${describeValue(value)}`, configPath, LIMITS_KEY)
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
      throw new ConfigError(ConfigErrorCode.invalid, `${LIMITS_KEY}.${key} in ${configPath} must be ${expected}, not ${describeValue(number)}`, configPath, `${LIMITS_KEY}.${key}`)
    }
    limits[rule.field] = number as number
  }
  return limits
}

/** True when `inner` is `outer` or lies inside it. */
function contains (outer: string, inner: string): boolean {
  const path = relative(outer, inner)
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path))
}
