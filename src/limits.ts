/**
 * The resource limits of a PeerIT node in one place: their defaults, and how
 * each maps onto libp2p's connection manager, yamux, the two protocol
 * services and the peer guard. docs/security.md says why each default is
 * what it is; `peerConf.json` sets them under `limits` (src/config/schema.ts).
 */
import type { PeeritFetchInit } from '../protocols/fetch/index.ts'
import type { PeeritFileInit } from '../protocols/file/index.ts'
import type { PeerGuardInit } from './peer-guard.ts'

/** Every limit a node enforces; 0 means "no limit" where the docs say so. */
export interface PeerLimits {
  /** Connections held at once (libp2p connection manager). */
  maxConnections: number
  /** Inbound connections still in their handshake at once. */
  maxIncomingPendingConnections: number
  /** New inbound connections per second from one IP address. */
  inboundConnectionsPerSecond: number
  /** Streams a remote peer may have open to us on one connection, all protocols together (yamux). */
  maxInboundStreamsPerConnection: number
  /** Fetch requests one peer may send per minute. */
  fetchRequestsPerMinute: number
  /** Fetch requests from one peer handled at once. */
  maxConcurrentFetchesPerPeer: number
  /** Fetch requests handled at once, all peers together. */
  maxConcurrentFetches: number
  /** File requests (manifest or pieces) one peer may make per minute. */
  fileRequestsPerMinute: number
  /** File requests from one peer served at once. */
  maxConcurrentFileRequestsPerPeer: number
  /** File requests served at once, all peers together. */
  maxConcurrentFileRequests: number
  /** Upload bytes per second, all peers together; 0 = unlimited. */
  uploadBytesPerSecond: number
  /** Upload bytes per second to one peer; 0 = unlimited. */
  uploadBytesPerSecondPerPeer: number
  /** Download bytes per second, all downloads together: piece requests are paced to it; 0 = unlimited. */
  downloadBytesPerSecond: number
  /** Violations within `strikeWindowSeconds` that get a peer banned; 0 = never ban. */
  strikesBeforeBan: number
  /** How far back strikes count. */
  strikeWindowSeconds: number
  /** How long a banned peer is disconnected and refused. */
  banSeconds: number
  /** Relay reservations held at once when `relay_server` is on (docs/network.md). */
  relayMaxReservations: number
  /** Relayed connections carried at once when `relay_server` is on. */
  relayMaxCircuits: number
  /** Relayed bytes per second, all circuits and both directions together; 0 = unlimited. */
  relayBytesPerSecond: number
  /** Relayed bytes per second on the circuits of one reserving peer; 0 = unlimited. */
  relayBytesPerSecondPerPeer: number
}

/** The defaults; docs/security.md gives the reason for each. */
export const DEFAULT_LIMITS: Readonly<PeerLimits> = Object.freeze({
  maxConnections: 300,
  maxIncomingPendingConnections: 10,
  inboundConnectionsPerSecond: 5,
  maxInboundStreamsPerConnection: 256,
  fetchRequestsPerMinute: 3_000,
  maxConcurrentFetchesPerPeer: 8,
  maxConcurrentFetches: 256,
  fileRequestsPerMinute: 1_200,
  maxConcurrentFileRequestsPerPeer: 8,
  maxConcurrentFileRequests: 64,
  uploadBytesPerSecond: 0,
  uploadBytesPerSecondPerPeer: 0,
  downloadBytesPerSecond: 0,
  strikesBeforeBan: 20,
  strikeWindowSeconds: 60,
  banSeconds: 600,
  relayMaxReservations: 64,
  relayMaxCircuits: 64,
  relayBytesPerSecond: 0,
  relayBytesPerSecondPerPeer: 0
})

/** The defaults with `overrides` on top (undefined entries keep the default). */
export function resolveLimits (overrides: Partial<PeerLimits> = {}): PeerLimits {
  const limits: PeerLimits = { ...DEFAULT_LIMITS }
  for (const [key, value] of Object.entries(overrides) as Array<[keyof PeerLimits, number | undefined]>) {
    if (value !== undefined) {
      limits[key] = value
    }
  }
  return limits
}

/** The fetch service's share of the limits. */
export function fetchServiceLimits (limits: PeerLimits): Pick<PeeritFetchInit, 'requestsPerMinute' | 'maxConcurrentPerPeer' | 'maxConcurrentTotal'> {
  return {
    requestsPerMinute: limits.fetchRequestsPerMinute,
    maxConcurrentPerPeer: limits.maxConcurrentFetchesPerPeer,
    maxConcurrentTotal: limits.maxConcurrentFetches
  }
}

/** The file service's share of the limits. */
export function fileServiceLimits (limits: PeerLimits): Pick<PeeritFileInit, 'requestsPerMinute' | 'maxConcurrentPerPeer' | 'maxConcurrentTotal' | 'uploadBytesPerSecond' | 'uploadBytesPerSecondPerPeer'> {
  return {
    requestsPerMinute: limits.fileRequestsPerMinute,
    maxConcurrentPerPeer: limits.maxConcurrentFileRequestsPerPeer,
    maxConcurrentTotal: limits.maxConcurrentFileRequests,
    uploadBytesPerSecond: limits.uploadBytesPerSecond,
    uploadBytesPerSecondPerPeer: limits.uploadBytesPerSecondPerPeer
  }
}

/** libp2p's connection manager options. */
export function connectionManagerLimits (limits: PeerLimits): { maxConnections: number, maxIncomingPendingConnections: number, inboundConnectionThreshold: number } {
  return {
    maxConnections: limits.maxConnections,
    maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
    inboundConnectionThreshold: limits.inboundConnectionsPerSecond
  }
}

/** The peer guard's options. */
export function guardLimits (limits: PeerLimits): Pick<PeerGuardInit, 'strikesBeforeBan' | 'strikeWindowMs' | 'banMs'> {
  return {
    strikesBeforeBan: limits.strikesBeforeBan,
    strikeWindowMs: limits.strikeWindowSeconds * 1000,
    banMs: limits.banSeconds * 1000
  }
}
