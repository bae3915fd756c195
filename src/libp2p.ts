import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import type { Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { peeritFetch } from '../protocols/fetch/index.ts'
import type { PeeritFetch, PeeritFetchInit } from '../protocols/fetch/index.ts'
import { peeritFile } from '../protocols/file/index.ts'
import type { PeeritFile, PeeritFileInit } from '../protocols/file/index.ts'

/** The libp2p services every PeerIT node mounts. */
export type PeeritServices = {
  identify: Identify
  ping: Ping
  peeritFetch: PeeritFetch
  peeritFile: PeeritFile
}

/** What {@link createPeeritLibp2p} needs. */
export interface PeeritLibp2pInit {
  privateKey: PrivateKey
  listen: string[]
  fetch: PeeritFetchInit
  file: PeeritFileInit
  maxConnections: number
}

/**
 * The libp2p node of a PeerIT peer: TCP + noise + yamux, identify and ping,
 * and the two PeerIT protocols.
 */
export async function createPeeritLibp2p (init: PeeritLibp2pInit): Promise<Libp2p<PeeritServices>> {
  return createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: init.maxConnections
    },
    services: {
      identify: identify(),
      ping: ping(),
      peeritFetch: peeritFetch(init.fetch),
      peeritFile: peeritFile(init.file)
    }
  })
}

/** The listen multiaddr for an IP (v4 or v6) and TCP port. */
export function listenAddress (ip: string, port: number): string {
  return ip.includes(':') ? `/ip6/${ip}/tcp/${port}` : `/ip4/${ip}/tcp/${port}`
}
