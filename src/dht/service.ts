/**
 * The PeerIT DHT as a libp2p service: js-libp2p's own Kademlia on a private
 * protocol id, so it never mixes with the public IPFS DHT, with its records in
 * a datastore of its own (a LevelDB folder under `.peerit/`), and PeerIT's
 * address rules ({@link AddressScope}) instead of kad-dht's internet-only ones.
 */
import { join } from 'node:path'
import { kadDHT } from '@libp2p/kad-dht'
import { LevelDatastore } from 'datastore-level'
import type { AddressScope, DhtMode } from './address-scope.ts'
import type { KadDHT, KadDHTComponents, KadDHTInit } from '@libp2p/kad-dht'

/** The protocol id of the PeerIT DHT. */
export const DHT_PROTOCOL = '/peerit/kad/1.0.0'

/** The folder below the state folder that holds the DHT's records. */
export const DHT_DATASTORE_DIR = 'dht'

/**
 * Pending routing-table updates. kad-dht queues one for every peer named in an
 * answer and searches the queue linearly for each; at its default of 16,384 an
 * answer listing 5,000 bogus providers cost ~10 s of CPU. Peers past the cap
 * are simply not added (they are still used by the query that named them).
 */
export const ROUTING_TABLE_UPDATE_QUEUE = 256

/** What {@link peeritDht} needs. */
export interface PeeritDhtInit {
  /** Where provider records live (see {@link openDhtDatastore}). */
  datastore: KadDHTComponents['datastore']
  scope: AddressScope
  /** `client` never serves; `server` and `auto` start serving (`auto` may switch later). */
  mode: DhtMode
  /** kad-dht settings to override (tests and benchmarks shorten timers with it). */
  kad?: Partial<KadDHTInit>
}

/** The kad-dht service factory of a PeerIT node. */
export function peeritDht (init: PeeritDhtInit): (components: KadDHTComponents) => KadDHT {
  const create = kadDHT({
    protocol: DHT_PROTOCOL,
    // A set mode, never undefined: kad-dht's own auto mode would switch to
    // client on a LAN, fighting the mode PeerIT picks (src/dht/node-dht.ts).
    clientMode: init.mode === 'client',
    peerInfoMapper: init.scope.mapPeerInfo,
    logPrefix: 'peerit:dht',
    metricsPrefix: 'peerit_dht',
    routingTableUpdateMaxQueueSize: ROUTING_TABLE_UPDATE_QUEUE,
    ...init.kad
  })
  // libp2p hands every service the same datastore (its peer store's, in memory);
  // the DHT alone gets the persistent one.
  return (components) => create(new Proxy(components, {
    get: (target, property, receiver) => property === 'datastore' ? init.datastore : Reflect.get(target, property, receiver)
  }))
}

/** Opens (creating if needed) the DHT's LevelDB folder below a state folder. */
export async function openDhtDatastore (stateDir: string): Promise<LevelDatastore> {
  const datastore = new LevelDatastore(join(stateDir, DHT_DATASTORE_DIR))
  await datastore.open()
  return datastore
}
