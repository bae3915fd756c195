import assert from 'node:assert/strict'
import { it } from 'node:test'
import { reachabilitySentence } from '../../cli/reachability.ts'
import type { NodeStatus } from '../../src/peer-node.ts'

const RELAYED = ['/ip4/10.77.0.10/tcp/4001/p2p/12D3KooWRelayOne/p2p-circuit/p2p/12D3KooWMe']

const CASES: Array<[Pick<NodeStatus, 'reachability' | 'relayAddresses' | 'directReach'>, RegExp]> = [
  [{ reachability: 'public', directReach: 'public', relayAddresses: [] }, /^yes, directly$/],
  [{ reachability: 'public', directReach: 'upnp', relayAddresses: [] }, /^yes, through the router's UPnP port mapping$/],
  [{ reachability: 'public', directReach: 'announce', relayAddresses: [] }, /^yes, at its announced address$/],
  [{ reachability: 'public', directReach: 'public', relayAddresses: RELAYED }, /^yes, directly \(and through 1 relay\)$/],
  [{ reachability: 'unknown', directReach: 'none', relayAddresses: [] }, /^not known yet/],
  [{ reachability: 'private', directReach: 'lan', relayAddresses: RELAYED }, /^yes, through 1 relay \(this node is behind NAT\)$/],
  [{ reachability: 'private', directReach: 'lan', relayAddresses: [] }, /^from its LAN only: no public address, no relay slot$/],
  [{ reachability: 'private', directReach: 'machine', relayAddresses: [] }, /^from this machine only: it listens on loopback$/],
  [{ reachability: 'private', directReach: 'machine', relayAddresses: RELAYED }, /^yes, through 1 relay \(it listens on loopback only\)$/],
  [{ reachability: 'private', directReach: 'none', relayAddresses: [] }, /^no: behind NAT with no relay slot/]
]

it('the reachable line says who can reach the node and how, in one line that fits 80 columns', () => {
  for (const [status, expected] of CASES) {
    const sentence = reachabilitySentence(status)
    assert.match(sentence, expected, JSON.stringify(status))
    assert.ok(`reachable        ${sentence}`.length <= 80, `too wide: ${sentence}`)
  }
})
