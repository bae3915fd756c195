import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { peeritFetch } from '../protocols/fetch/index.ts'
import { peeritFile } from '../protocols/file/index.ts'
import { peeritDht } from './dht/service.ts'
import { connectionManagerLimits, fetchServiceLimits, fileServiceLimits, guardLimits } from './limits.ts'
import { PeerGuard } from './peer-guard.ts'
import { DEFAULT_REACH, reachLibp2pOptions } from './reach/libp2p-options.ts'
import { RefusalBackoff } from './refusal-backoff.ts'
import { connectionEncrypters } from './transport/index.ts'
import type { PeeritFetch, PeeritFetchInit } from '../protocols/fetch/index.ts'
import type { PeeritFile, PeeritFileInit } from '../protocols/file/index.ts'
import type { PeeritDhtInit } from './dht/service.ts'
import type { PeerLimits } from './limits.ts'
import type { ReachOptions, ReachServices } from './reach/libp2p-options.ts'
import type { TransportTuning } from './transport/index.ts'
import type { Identify } from '@libp2p/identify'
import type { ComponentLogger, Libp2p, PrivateKey } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'

/** The libp2p services every PeerIT node mounts; the reachability ones depend on the config. */
export type PeeritServices = {
  identify: Identify
  ping: Ping
  peeritFetch: PeeritFetch
  peeritFile: PeeritFile
  /** The PeerIT DHT, unless the node runs without one (`dht: false`). */
  dht?: KadDHT
} & ReachServices

/** What {@link createPeeritLibp2p} needs. */
export interface PeeritLibp2pInit {
  privateKey: PrivateKey
  listen: string[]
  /** Service options besides the limits, which come from `limits`. */
  fetch: PeeritFetchInit
  file: PeeritFileInit
  /** Every resource limit (see src/limits.ts). */
  limits: PeerLimits
  /** The DHT, when the node joins it. */
  dht?: PeeritDhtInit
  /** Peers the owner blocked (src/block-list.ts): the gater refuses them. */
  isBlocked?: (peerId: string) => boolean
  /** For the peer guard's log (`peerit:guard`). */
  logger?: ComponentLogger
  /** Relays, NAT, mDNS (src/reach/); default {@link DEFAULT_REACH}. */
  reach?: ReachOptions
  /** Sentences for the owner's log about reachability (a relay refused, no UPnP router …). */
  onNotice?: (message: string) => void
  /** Transport levers (src/transport/); default {@link DEFAULT_TRANSPORT}: only benchmarks change it. */
  transport?: TransportTuning
}

/** A PeerIT libp2p node and the guard that bans peers breaking its rules. */
export interface PeeritLibp2p {
  libp2p: Libp2p<PeeritServices>
  guard: PeerGuard
  /** Peers that hung up on us at once: automatic dials wait; `connect` forgives. */
  refusals: RefusalBackoff
}

/**
 * The libp2p node of a PeerIT peer: TCP + TLS 1.3 or noise + yamux, identify and ping,
 * and the two PeerIT protocols, with every limit applied: connection manager
 * caps, yamux's stream cap, the services' rates and concurrency, and a
 * connection gater that refuses banned peers. The services report each
 * violation to the guard; a ban hangs up on the peer at once.
 */
export async function createPeeritLibp2p (init: PeeritLibp2pInit): Promise<PeeritLibp2p> {
  const { limits } = init
  const reach = reachLibp2pOptions(init.reach ?? DEFAULT_REACH, limits, init.listen, init.onNotice)
  reach.notes.forEach(note => init.onNotice?.(note))
  let libp2p: Libp2p<PeeritServices> | undefined
  const guard = new PeerGuard({
    ...guardLimits(limits),
    isBlocked: init.isBlocked,
    logger: init.logger,
    onBan: (peer) => {
      libp2p?.hangUp(peer).catch(() => {
        // already gone: nothing to hang up
      })
    }
  })
  const refusals = new RefusalBackoff({ logger: init.logger })
  libp2p = await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen, appendAnnounce: reach.appendAnnounce },
    transports: [tcp(), ...reach.transports],
    connectionEncrypters: connectionEncrypters(init.transport),
    streamMuxers: [yamux({ maxInboundStreams: limits.maxInboundStreamsPerConnection, streamOptions: { maxStreamWindowSize: reach.maxStreamWindowSize } })],
    connectionManager: connectionManagerLimits(limits),
    connectionMonitor: reach.connectionMonitor,
    connectionGater: {
      ...guard.connectionGater,
      // Only dials we start are held back: the refusing peer may still dial us, and be taken.
      denyDialPeer: peer => guard.connectionGater.denyDialPeer?.(peer) === true || refusals.isBackingOff(peer)
    },
    services: {
      identify: identify(),
      ping: ping(),
      peeritFetch: peeritFetch({ ...init.fetch, ...fetchServiceLimits(limits), onViolation: (peer, kind) => guard.strike(peer, `fetch:${kind}`) }),
      peeritFile: peeritFile({ ...init.file, ...fileServiceLimits(limits), onViolation: (peer, kind) => guard.strike(peer, `file:${kind}`) }),
      ...reach.services,
      ...(init.dht == null ? {} : { dht: peeritDht(init.dht) })
    }
  }) as Libp2p<PeeritServices>
  refusals.watch(libp2p)
  if (libp2p.services.mdns != null) {
    libp2p.services.peeritReach.watchLan(libp2p.services.mdns)
  }
  return { libp2p, guard, refusals }
}

/** The listen multiaddr for an IP (v4 or v6) and TCP port. */
export function listenAddress (ip: string, port: number): string {
  return ip.includes(':') ? `/ip6/${ip}/tcp/${port}` : `/ip4/${ip}/tcp/${port}`
}
