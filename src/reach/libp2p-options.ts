/**
 * The reachability parts of a PeerIT libp2p node, from its config: the
 * circuit relay transport (dial and be reached through relays), the relay
 * server when `relay_server` is on, AutoNAT, DCUtR, UPnP and mDNS when they
 * make sense, `announce` addresses, and the `peeritReach` service.
 */
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { mdns } from '@libp2p/mdns'
import { uPnPNAT } from '@libp2p/upnp-nat'
import { isLoopback } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { parsePublicNetworks } from '../public-networks.ts'
import { peeritReach } from './reach-service.ts'
import { peeritRelayServer } from './relay-server.ts'
import type { PeerLimits } from '../limits.ts'
import type { ReachConfig } from './config.ts'
import type { PeeritReach } from './reach-service.ts'
import type { PeeritRelayService } from './relay-server.ts'
import type { PeerDiscovery, Transport } from '@libp2p/interface'

/** The reachability settings of a node (peerConf.json's keys, docs/network.md). */
export type ReachOptions = ReachConfig

/** The defaults of {@link ReachOptions}, as peerConf.json's. */
export const DEFAULT_REACH: Readonly<ReachOptions> = Object.freeze({
  mdns: true,
  relayServer: false,
  upnp: true,
  announce: [],
  publicNetworks: []
})

/** mDNS service name: PeerIT peers find each other, not every libp2p node on the LAN. */
export const MDNS_SERVICE_TAG = '_peerit._udp.local'

/** The services this module may mount (absent ones are off). */
export type ReachServices = {
  peeritReach: PeeritReach
  relay?: PeeritRelayService
  mdns?: PeerDiscovery
  autoNAT?: unknown
  dcutr?: unknown
  upnp?: unknown
}

/** What to merge into `createLibp2p`'s options. */
export interface ReachLibp2pOptions {
  transports: Array<(components: any) => Transport>
  services: Record<string, (components: any) => unknown>
  appendAnnounce: string[]
  /** Set on a relay: the yamux receive window (see RELAY_STREAM_WINDOW, METERED_STREAM_WINDOW). */
  maxStreamWindowSize?: number
  /** libp2p's connection monitor options (see {@link reachLibp2pOptions}). */
  connectionMonitor: { abortConnectionOnPingFailure: boolean }
  /** Why a part is off, for the log. */
  notes: string[]
}

/**
 * A relay with byte caps pauses streams to meter them. A paused stream's
 * buffer is reset past 4 MiB, and on resume everything buffered goes out at
 * once, so the yamux receive window bounds both the risk and how far a burst
 * can overshoot the rate: 1 MiB keeps both small and still fills a 20 MiB/s
 * path at 50 ms round trips for the relay's own transfers.
 */
const METERED_STREAM_WINDOW = 1024 * 1024

/**
 * A relay without byte caps still holds a leg whose other leg is full
 * (src/reach/relay-caps.ts), and a held stream buffers what its window lets
 * the sender send: libp2p resets a stream past 4 MiB unread, so a relay's
 * window stays below that (yamux's default grows to 16 MiB). It also bounds
 * the relay's memory: a stalled circuit holds about a window per direction,
 * plus what is queued on the leg that stalled. 3 MiB still fills 30 MiB/s
 * at a 100 ms round trip.
 */
const RELAY_STREAM_WINDOW = 3 * 1024 * 1024

/** Builds the reachability parts for a node listening on `listen`. */
export function reachLibp2pOptions (reach: ReachOptions, limits: PeerLimits, listen: string[], onNotice?: (message: string) => void): ReachLibp2pOptions {
  const networks = parsePublicNetworks(reach.publicNetworks)
  // mDNS and UPnP speak multicast on the LAN: pointless (and not ours to send) while nobody on it can dial us.
  const onLan = listen.some(address => !isLoopback(multiaddr(address)))
  const notes: string[] = []
  const services: ReachLibp2pOptions['services'] = {
    peeritReach: peeritReach({ networks, onNotice, upnp: reach.upnp && onLan }),
    autoNAT: autoNAT(),
    dcutr: dcutr()
  }
  if (reach.relayServer) {
    services.relay = peeritRelayServer({
      maxReservations: limits.relayMaxReservations,
      maxCircuits: limits.relayMaxCircuits,
      bytesPerSecond: limits.relayBytesPerSecond,
      bytesPerSecondPerPeer: limits.relayBytesPerSecondPerPeer,
      onNotice
    })
  }
  if (reach.mdns && onLan) {
    services.mdns = mdns({ serviceTag: MDNS_SERVICE_TAG })
  } else if (reach.mdns) {
    notes.push('mdns: off while the node listens on loopback only (set listening_ip to a LAN address or 0.0.0.0)')
  }
  if (reach.upnp && onLan) {
    services.upnp = uPnPNAT()
  } else if (reach.upnp) {
    notes.push('upnp: off while the node listens on loopback only')
  }
  return {
    transports: [circuitRelayTransport()],
    services,
    appendAnnounce: reach.announce,
    // A connection carrying a relayed (or any bulk) transfer answers pings late: measured here,
    // libp2p's monitor then aborted a healthy relay connection mid-transfer. A dead peer still
    // shows as a TCP error, a yamux keep-alive failure or a protocol's own idle timeout.
    connectionMonitor: { abortConnectionOnPingFailure: false },
    maxStreamWindowSize: relayStreamWindow(reach, limits),
    notes
  }
}

function relayStreamWindow (reach: ReachOptions, limits: PeerLimits): number | undefined {
  if (!reach.relayServer) {
    return undefined
  }
  return limits.relayBytesPerSecond > 0 || limits.relayBytesPerSecondPerPeer > 0 ? METERED_STREAM_WINDOW : RELAY_STREAM_WINDOW
}
