/**
 * Which addresses count as public for this node. libp2p calls 10/8,
 * 172.16/12, 192.168/16, 100.64/10 … private, so AutoNAT, DCUtR and the DHT's
 * address filters ignore them; a campus, a company network or a VPN reaches
 * its peers on exactly such addresses. `public_networks` in peerConf.json
 * lists the networks that count as public here on top of libp2p's own rule.
 */
import { BlockList, isIP } from 'node:net'
import { isPrivate, tryGetNetConfig } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The networks that count as public for one node. */
export interface PublicNetworks {
  /** True when `ip` (v4 or v6) lies inside one of the configured networks. */
  containsIp (ip: string): boolean
  /**
   * True for an address libp2p already counts as public (a non-private IP or a
   * DNS name other than localhost) or whose IP is inside a configured network.
   */
  isPublic (ma: Multiaddr): boolean
}

/** At most this many networks: a list is matched on every address the node sees. */
export const MAX_PUBLIC_NETWORKS = 64

/**
 * The default: none beyond libp2p's rule. Counting a home LAN (often 10/8 or
 * 192.168/16) as public would make a NAT'd node believe others can dial it and
 * skip the relay reservation that makes it reachable; networks that really are
 * routable between peers are listed by whoever runs them.
 */
export const DEFAULT_PUBLIC_NETWORKS: readonly string[] = Object.freeze([])

/** Thrown by {@link parseCidr} for a string that is not a CIDR network. */
export class InvalidNetworkError extends Error {
  static readonly code = 'ERR_INVALID_NETWORK'
  readonly code = InvalidNetworkError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidNetworkError'
  }
}

/** A parsed CIDR network: its base address, prefix length and family. */
export interface Cidr {
  address: string
  prefix: number
  family: 'ipv4' | 'ipv6'
}

/** Parses `10.0.0.0/8` or `fd00::/8`; throws {@link InvalidNetworkError} otherwise. */
export function parseCidr (text: string): Cidr {
  const match = /^([^/\s]+)\/(\d{1,3})$/.exec(text)
  const version = match == null ? 0 : isIP(match[1])
  if (match == null || version === 0) {
    throw new InvalidNetworkError(`"${text.slice(0, 60)}" is not a network in CIDR form such as 10.0.0.0/8 or fd00::/8`)
  }
  const prefix = Number(match[2])
  const bits = version === 4 ? 32 : 128
  if (prefix > bits) {
    throw new InvalidNetworkError(`"${text}" has a prefix longer than ${bits} bits`)
  }
  return { address: match[1], prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

/**
 * The networks named by `cidrs` (IPv4 or IPv6 CIDR strings); throws
 * {@link InvalidNetworkError} for the first that is not one.
 */
export function parsePublicNetworks (cidrs: string[]): PublicNetworks {
  // node:net's BlockList does the prefix matching, IPv4-mapped IPv6 included.
  const list = new BlockList()
  for (const text of cidrs) {
    const { address, prefix, family } = parseCidr(text)
    list.addSubnet(address, prefix, family)
  }
  const empty = cidrs.length === 0
  const containsIp = (ip: string): boolean => {
    const version = isIP(ip)
    return !empty && version !== 0 && list.check(ip, version === 4 ? 'ipv4' : 'ipv6')
  }
  return {
    containsIp,
    isPublic (ma) {
      const config = tryGetNetConfig(ma)
      if (config == null) {
        return false
      }
      if (config.type === 'ip4' || config.type === 'ip6') {
        return containsIp(config.host) || !isPrivate(ma)
      }
      return !isPrivate(ma)
    }
  }
}
