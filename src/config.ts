/**
 * `peerConf.json`, in three parts: config/find.ts finds the file (kept light:
 * every CLI command loads it), config/schema.ts holds every key with its
 * default and rule, config/io.ts reads, checks and writes files.
 */
export { CONFIG_ENV_VARIABLE, CONFIG_FILE_NAME, resolveConfigPath, STATE_DIR_NAME } from './config/find.ts'
export { ConfigError, ConfigErrorCode } from './config/errors.ts'
export { expandHome, initialConfig, MAX_CONFIG_PEERS, MAX_RATE_LIMIT, MIN_RATE_LIMIT, parseConfig } from './config/schema.ts'
export type { InitOptions, PeerConfig, PeerConfigLimits } from './config/schema.ts'
export { loadConfig, writeInitialConfig } from './config/io.ts'
