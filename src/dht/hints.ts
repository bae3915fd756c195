/**
 * Peer hints: the `peer=` addresses of a link. A link carries a few
 * providers' addresses so a node can download it without asking the DHT
 * first; these helpers pick them and read them back.
 */
import { isLoopback, isPrivate } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { P2P_CODE } from '../contacts.ts'
import { isRelayed } from './address-scope.ts'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Hints a new link carries: enough for a spare or two, few enough to stay short. */
export const LINK_HINTS = 4

/** A provider and the addresses it may be reached on. */
export interface HintSource {
  peerId: string
  addresses: string[]
}

/** Public addresses before LAN ones before loopback: the link may travel far. */
function reach (ma: Multiaddr): number {
  return isLoopback(ma) ? 2 : isPrivate(ma) ? 1 : 0
}

/** One `/…/p2p/<id>` address per provider (its most widely reachable), at most `max`. */
export function pickHints (sources: HintSource[], max = LINK_HINTS): string[] {
  const hints: string[] = []
  for (const source of sources) {
    if (hints.length >= max) {
      break
    }
    const usable = source.addresses.flatMap(text => {
      try {
        const ma = multiaddr(text)
        return ma.getComponents().some(c => c.name === 'p2p') && !isRelayed(ma) ? [ma.decapsulateCode(P2P_CODE)] : [ma]
      } catch {
        return []
      }
    }).sort((a, b) => reach(a) - reach(b))
    if (usable.length > 0) {
      const best = usable[0].toString()
      hints.push(best.endsWith(`/p2p/${source.peerId}`) ? best : `${best}/p2p/${source.peerId}`)
    }
  }
  return hints
}

/** The peer id and dialable address of each hint (already checked by the link parser). */
export function readHints (peers: string[]): Array<{ peerId: string, address: Multiaddr }> {
  return peers.map(text => {
    const address = multiaddr(text)
    return { peerId: address.getComponents().findLast(c => c.name === 'p2p')?.value ?? '', address }
  }).filter(hint => hint.peerId !== '')
}
