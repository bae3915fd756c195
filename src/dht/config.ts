/**
 * The peerConf.json keys of the PeerIT DHT: `dht` and `dht_mode`
 * (docs/cli.md). src/config/schema.ts mounts these rules beside its own.
 */
import type { DhtMode } from './address-scope.ts'

/** The DHT part of a validated config. */
export interface DhtConfig {
  /** `dht`: join the PeerIT DHT, default true. */
  enabled: boolean
  /** `dht_mode`: `auto` (default) serves the DHT unless the node is only reachable through a relay. */
  mode: DhtMode
}

const DHT_MODES: readonly DhtMode[] = ['auto', 'server', 'client']

/** The rules of the DHT keys, in src/config/schema.ts's rule shape. */
export const dhtKeyRules = {
  dht: {
    fallback: true,
    expected: 'true or false',
    parse: (value: unknown) => typeof value === 'boolean' ? value : undefined
  },
  dht_mode: {
    fallback: 'auto' as DhtMode,
    expected: '"auto", "server" or "client"',
    parse: (value: unknown) => DHT_MODES.includes(value as DhtMode) ? value as DhtMode : undefined
  }
}

/** The validated values of {@link dhtKeyRules} as a {@link DhtConfig}. */
export function parseDhtConfig (values: { dht: boolean, dht_mode: DhtMode }): DhtConfig {
  return { enabled: values.dht, mode: values.dht_mode }
}
