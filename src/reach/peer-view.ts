/** How `list peers` describes a peer's connection and origin. */
import { Circuit } from '@multiformats/multiaddr-matcher'
import type { Contact } from '../contacts.ts'
import type { PeerSource } from './reach-service.ts'
import type { Connection } from '@libp2p/interface'

/** `direct` if any open connection is not through a relay, `relayed` if all are, null without one. */
export function connectionKind (connections: Connection[]): 'direct' | 'relayed' | null {
  const open = connections.filter(connection => connection.status === 'open')
  if (open.length === 0) {
    return null
  }
  return open.some(connection => !Circuit.matches(connection.remoteAddr)) ? 'direct' : 'relayed'
}

/** A contact's source: from the config file, or added with `peerit connect`. */
export function peerSource (contact: Contact): PeerSource {
  return contact.source === 'config' ? 'config' : 'contact'
}
