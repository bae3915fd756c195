/**
 * How a PeerIT node's connections are encrypted and framed below the
 * protocols: TLS 1.3 first (on a direct TCP connection run by OpenSSL on the
 * socket itself, ./socket-tls.ts), noise for peers without it, TLS over a
 * JavaScript stream (relayed) writing joined buffers (./coalesce-writes.ts),
 * and the muxer told 'drain' only once the encrypted connection has sent its
 * buffer (./drain-when-sent.ts). Measured in bench/relay.ts and
 * bench/transfer.ts (docs/benchmarks.md).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { tls } from '@libp2p/tls'
import { coalescingEncrypter } from './coalesce-writes.ts'
import { drainWhenSent } from './drain-when-sent.ts'
import { socketTls } from './socket-tls.ts'
import type { ConnectionEncrypter } from '@libp2p/interface'

/** Transport levers a benchmark may turn on or off to measure them; a node keeps the defaults. */
export interface TransportTuning {
  /**
   * Join the small buffers of each write before TLS sees them (a yamux
   * frame's header with the head of its payload, a relayed frame's pieces),
   * where TLS runs over a JavaScript stream (not on a TCP socket).
   *
   * @default true
   */
  coalesceTls: boolean
  /**
   * Join the small buffers of each write before TCP sees them (TLS records,
   * noise's length prefixes). Off: the copies cost the sender more CPU than
   * the socket writes they save (docs/benchmarks.md).
   *
   * @default false
   */
  coalesceTcp: boolean
  /**
   * Run TLS on a direct TCP connection's socket (./socket-tls.ts); off:
   * `@libp2p/tls` over a JavaScript stream everywhere, as before.
   *
   * @default true
   */
  tlsOnSocket?: boolean
}

/** What a PeerIT node runs with. */
export const DEFAULT_TRANSPORT: TransportTuning = { coalesceTls: true, coalesceTcp: false, tlsOnSocket: true }

/** The connection encrypters in order of preference: TLS 1.3 (OpenSSL: ~1.3× noise's throughput here), then noise. */
export function connectionEncrypters (tuning: TransportTuning = DEFAULT_TRANSPORT): Array<(components: any) => ConnectionEncrypter> {
  return [
    drainWhenSent(coalescingEncrypter(tuning.tlsOnSocket === false ? tls() : socketTls(), { transport: tuning.coalesceTcp, secured: tuning.coalesceTls })),
    // noise encrypts a whole write list into its own frames already: only its output could be joined
    drainWhenSent(coalescingEncrypter(noise(), { transport: tuning.coalesceTcp, secured: false }))
  ]
}
