/**
 * Whether others can dial this node, from the addresses libp2p holds for it:
 * an address counts once it is public (src/public-networks.ts) and verified —
 * libp2p verifies a listen address inside a network it calls private at once,
 * a public one through AutoNAT, a UPnP mapping through the router, and takes
 * an `announce` address on the owner's word.
 */
import { isLoopback } from '@libp2p/utils'
import { Circuit } from '@multiformats/multiaddr-matcher'
import type { PublicNetworks } from '../public-networks.ts'
import type { NodeAddress } from '@libp2p/interface-internal'

/** `public`: others can dial us; `private`: only through a relay or not at all; `unknown`: not yet tested. */
export type Reachability = 'public' | 'private' | 'unknown'

/** The reachability the addresses show. */
export function reachabilityOf (addresses: NodeAddress[], networks: PublicNetworks): Reachability {
  let untested = false
  for (const address of addresses) {
    if (Circuit.matches(address.multiaddr) || !networks.isPublic(address.multiaddr)) {
      continue
    }
    if (address.verified) {
      return 'public'
    }
    untested = true
  }
  return untested ? 'unknown' : 'private'
}

/** The `/p2p-circuit` addresses among `addresses`. */
export function circuitAddresses (addresses: NodeAddress[]): string[] {
  return addresses.filter(address => address.verified && Circuit.matches(address.multiaddr)).map(address => address.multiaddr.toString())
}

/**
 * Who can dial this node without a relay: `public` (a confirmed public
 * address), `upnp` (a router's port mapping), `announce` (a port forward the
 * owner announced), `lan` (only private addresses: peers on the same network),
 * `machine` (only loopback: processes on this machine), `none` (no address).
 */
export type DirectReach = 'public' | 'upnp' | 'announce' | 'lan' | 'machine' | 'none'

/** The {@link DirectReach} the addresses show; the best one wins. */
export function directReachOf (addresses: NodeAddress[], networks: PublicNetworks): DirectReach {
  const direct = addresses.filter(address => !Circuit.matches(address.multiaddr))
  const confirmed = direct.filter(address => address.verified && networks.isPublic(address.multiaddr))
  if (confirmed.some(address => address.type !== 'ip-mapping' && address.type !== 'announce')) {
    return 'public'
  }
  if (confirmed.some(address => address.type === 'ip-mapping')) {
    return 'upnp'
  }
  if (confirmed.length > 0) {
    return 'announce'
  }
  if (direct.some(address => !isLoopback(address.multiaddr) && !networks.isPublic(address.multiaddr))) {
    return 'lan'
  }
  return direct.some(address => isLoopback(address.multiaddr)) ? 'machine' : 'none'
}
