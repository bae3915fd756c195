/**
 * Nodes for `bench/relay.ts --e2e`: which encrypter costs less on the
 * end-to-end connection through a relay, with the hops held fixed.
 *
 * The ends and the relay are PeerIT's own parts (its encrypters with their
 * write joining, yamux, the circuit relay transport, the PeerIT relay server
 * without caps) on plain libp2p nodes, because the only difference wanted is
 * the order of encrypters: the relay offers TLS alone, so each hop negotiates
 * TLS whatever the ends prefer, and the ends offer `e2e` first and the other
 * second, so the connection through the relay negotiates `e2e`. Both stay
 * negotiated by multistream-select, as any peer would see them.
 */
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { peeritRelayServer } from '../src/reach/relay-server.ts'
import { connectionEncrypters } from '../src/transport/index.ts'
import type { Libp2p } from '@libp2p/interface'

/** The end-to-end encrypters `--e2e` can name. */
export const E2E_ENCRYPTERS = ['tls', 'noise'] as const

/** One of {@link E2E_ENCRYPTERS}. */
export type E2eEncrypter = typeof E2E_ENCRYPTERS[number]

/** The PeerIT relay server with TLS as its only encrypter: both hops are TLS. */
export async function tlsOnlyRelay (): Promise<Libp2p<any>> {
  const [tlsEncrypter] = connectionEncrypters()
  const relay = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [tlsEncrypter],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    services: {
      identify: identify(),
      relay: peeritRelayServer({ maxReservations: 16, maxCircuits: 16, bytesPerSecond: 0, bytesPerSecondPerPeer: 0 })
    }
  })
  await relay.start()
  return relay
}

/**
 * An end that prefers `e2e` on every connection it dials; with `relayAddress`
 * it listens through that relay too (a reservation, as a NAT'd node makes).
 */
export async function e2eEnd (e2e: E2eEncrypter, relayAddress?: string): Promise<Libp2p<any>> {
  const [tlsEncrypter, noiseEncrypter] = connectionEncrypters()
  const node = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0', ...relayAddress == null ? [] : [`${relayAddress}/p2p-circuit`]] },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: e2e === 'tls' ? [tlsEncrypter, noiseEncrypter] : [noiseEncrypter, tlsEncrypter],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1000 },
    connectionMonitor: { abortConnectionOnPingFailure: false },
    services: { identify: identify() }
  })
  await node.start()
  return node
}
