import type { NodeStatus } from '../src/peer-node.ts'

/** One sentence for `peerit status`: can others reach this node, and how. */
export function reachabilitySentence (status: Pick<NodeStatus, 'reachability' | 'relayAddresses'>): string {
  const relays = new Set(status.relayAddresses.map(address => /\/p2p\/([^/]+)\/p2p-circuit/.exec(address)?.[1]).filter(id => id != null))
  const through = relays.size === 0 ? '' : `through ${relays.size} relay${relays.size === 1 ? '' : 's'}`
  switch (status.reachability) {
    case 'public':
      return `yes, directly${through === '' ? '' : ` (and ${through})`}`
    case 'unknown':
      return relays.size > 0 ? `yes, ${through} (a direct address is not confirmed yet)` : 'not known yet (a public address awaits confirmation)'
    default:
      return relays.size > 0 ? `yes, ${through} (this node is behind NAT)` : 'no: behind NAT with no relay slot; it can still download (see docs/network.md)'
  }
}
