import type { NodeStatus } from '../src/peer-node.ts'

/**
 * One sentence for `peerit status`: can others reach this node, and how.
 * At most 63 characters, so that `reachable        <sentence>` fits 80 columns.
 */
export function reachabilitySentence (status: Pick<NodeStatus, 'reachability' | 'relayAddresses' | 'directReach'>): string {
  const relays = new Set(status.relayAddresses.map(address => /\/p2p\/([^/]+)\/p2p-circuit/.exec(address)?.[1]).filter(id => id != null))
  const through = relays.size === 0 ? '' : `through ${relays.size} relay${relays.size === 1 ? '' : 's'}`
  switch (status.reachability) {
    case 'public':
      if (status.directReach === 'upnp') {
        return `yes, through the router's UPnP port mapping${through === '' ? '' : ` (and ${through})`}`
      }
      if (status.directReach === 'announce') {
        return `yes, at its announced address${through === '' ? '' : ` (and ${through})`}`
      }
      return `yes, directly${through === '' ? '' : ` (and ${through})`}`
    case 'unknown':
      return relays.size > 0 ? `yes, ${through} (a direct address is not confirmed yet)` : 'not known yet (a public address awaits confirmation)'
    default:
      if (status.directReach === 'machine') {
        return relays.size > 0 ? `yes, ${through} (it listens on loopback only)` : 'from this machine only: it listens on loopback'
      }
      if (status.directReach === 'lan') {
        return relays.size > 0 ? `yes, ${through} (this node is behind NAT)` : 'from its LAN only: no public address, no relay slot'
      }
      return relays.size > 0 ? `yes, ${through} (this node is behind NAT)` : 'no: behind NAT with no relay slot (it can still download)'
  }
}
