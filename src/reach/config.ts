/**
 * The peerConf.json keys that decide how a node becomes reachable: `mdns`,
 * `relay_server`, `upnp`, `announce` and `public_networks` (docs/network.md).
 * src/config/schema.ts mounts these rules beside its own.
 */
import { tryGetNetConfig } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { DEFAULT_PUBLIC_NETWORKS, InvalidNetworkError, MAX_PUBLIC_NETWORKS, parseCidr } from '../public-networks.ts'

/** At most this many `announce` addresses: each is advertised to every peer. */
export const MAX_ANNOUNCE_ADDRESSES = 16

/** The reachability part of a validated config. */
export interface ReachConfig {
  /** `mdns`: find and dial peers on the LAN by multicast DNS, default true. */
  mdns: boolean
  /** `relay_server`: relay connections for other peers (circuit relay v2), default false. */
  relayServer: boolean
  /** `upnp`: ask the router for a port mapping (UPnP / NAT-PMP), default true. */
  upnp: boolean
  /** `announce`: TCP multiaddrs others can dial this node on (a manual port forward), default none. */
  announce: string[]
  /** `public_networks`: CIDR networks whose addresses count as public, default none. */
  publicNetworks: string[]
}

/** Thrown by a rule below for a value whose fault deserves more than "must be …". */
export class InvalidReachSettingError extends Error {
  static readonly code = 'ERR_INVALID_REACH_SETTING'
  readonly code = InvalidReachSettingError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidReachSettingError'
  }
}

const flag = (fallback: boolean): { fallback: boolean, expected: string, parse: (value: unknown) => boolean | undefined } => ({
  fallback,
  expected: 'true or false',
  parse: (value: unknown) => typeof value === 'boolean' ? value : undefined
})

/** A list of at most `max` strings each checked by `check`, which throws with the reason. */
function stringList (max: number, check: (text: string) => void): (value: unknown) => string[] | undefined {
  return (value: unknown) => {
    if (!Array.isArray(value) || !value.every(item => typeof item === 'string')) {
      return undefined
    }
    if (value.length > max) {
      throw new InvalidReachSettingError(`at most ${max} entries, not ${value.length}`)
    }
    value.forEach(check)
    return [...value]
  }
}

function checkAnnounce (text: string): void {
  let config
  try {
    config = tryGetNetConfig(multiaddr(text))
  } catch (err) {
    throw new InvalidReachSettingError(`"${text.slice(0, 60)}" is not a multiaddr (${(err as Error).message}); write one such as /ip4/203.0.113.7/tcp/4001`)
  }
  if (config?.protocol !== 'tcp' || text.includes('/p2p')) {
    throw new InvalidReachSettingError(`"${text.slice(0, 60)}" must be an IP or DNS address and a TCP port, without /p2p, such as /ip4/203.0.113.7/tcp/4001`)
  }
}

function checkNetwork (text: string): void {
  try {
    parseCidr(text)
  } catch (err) {
    if (err instanceof InvalidNetworkError) {
      throw new InvalidReachSettingError(err.message)
    }
    throw err
  }
}

/** The rules of the reachability keys, in src/config/schema.ts's rule shape. */
export const reachKeyRules = {
  mdns: flag(true),
  relay_server: flag(false),
  upnp: flag(true),
  announce: {
    fallback: [] as string[],
    expected: 'an array of multiaddr strings such as ["/ip4/203.0.113.7/tcp/4001"]',
    parse: stringList(MAX_ANNOUNCE_ADDRESSES, checkAnnounce)
  },
  public_networks: {
    fallback: [...DEFAULT_PUBLIC_NETWORKS],
    expected: 'an array of CIDR networks such as ["10.0.0.0/8"]',
    parse: stringList(MAX_PUBLIC_NETWORKS, checkNetwork)
  }
}

/** The validated values of {@link reachKeyRules} as a {@link ReachConfig}. */
export function parseReachConfig (values: { mdns: boolean, relay_server: boolean, upnp: boolean, announce: string[], public_networks: string[] }): ReachConfig {
  return {
    mdns: values.mdns,
    relayServer: values.relay_server,
    upnp: values.upnp,
    announce: values.announce,
    publicNetworks: values.public_networks
  }
}
