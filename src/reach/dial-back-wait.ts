/**
 * The downloader's half of connection reversal. A public node that reached
 * a NAT'd provider through a relay is about to be dialled back (reversal.ts,
 * on the provider's side, right after identify); a transfer started before
 * that would run on the relay to its end, since each request stays on the
 * connection it began on. So before pieces are asked for, a public node gives
 * such a provider a moment to dial back, once: one that did not is not waited
 * for again for a while.
 */
import { Circuit } from '@multiformats/multiaddr-matcher'
import type { Connection, Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** What {@link DialBackWait} uses of libp2p. */
export interface DialBackWaitComponents {
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
}

/** A dial back comes within a second on a LAN; three leave room for a busy provider. */
export const DIAL_BACK_WAIT_MS = 3_000
/** A provider that did not dial back is not waited for again for this long. */
const NO_DIAL_BACK_MS = 10 * 60_000
/** Peers remembered as not dialling back, at most (oldest forgotten first). */
const MAX_REMEMBERED = 1_000
/** Peers waited for at once: a download uses at most a few providers. */
const MAX_PEERS = 16

/** Waits, when it is worth it, for NAT'd providers to dial this node back. */
export class DialBackWait {
  private readonly components: DialBackWaitComponents
  private readonly noDialBack = new Map<string, number>()

  constructor (components: DialBackWaitComponents) {
    this.components = components
  }

  /**
   * Resolves once every peer of `peers` that is connected only through a
   * relay has a direct connection too, or after `timeoutMs`.
   */
  async wait (peers: PeerId[], timeoutMs = DIAL_BACK_WAIT_MS): Promise<void> {
    const now = Date.now()
    const waiting = peers.slice(0, MAX_PEERS).filter(peer => this.relayedOnly(peer) && (this.noDialBack.get(peer.toString()) ?? 0) <= now)
    if (waiting.length === 0) {
      return
    }
    const pending = new Set(waiting.map(peer => peer.toString()))
    const { promise, resolve } = Promise.withResolvers<void>()
    const onOpen = (event: CustomEvent<Connection>): void => {
      const connection = event.detail
      if (!Circuit.matches(connection.remoteAddr) && pending.delete(connection.remotePeer.toString()) && pending.size === 0) {
        resolve()
      }
    }
    const timer = setTimeout(resolve, timeoutMs)
    this.components.events.addEventListener('connection:open', onOpen)
    try {
      await promise
    } finally {
      clearTimeout(timer)
      this.components.events.removeEventListener('connection:open', onOpen)
    }
    for (const peer of pending) {
      this.remember(peer)
    }
  }

  private relayedOnly (peer: PeerId): boolean {
    const open = this.components.connectionManager.getConnections(peer).filter(connection => connection.status === 'open')
    return open.length > 0 && open.every(connection => Circuit.matches(connection.remoteAddr))
  }

  private remember (peer: string): void {
    this.noDialBack.delete(peer)
    if (this.noDialBack.size >= MAX_REMEMBERED) {
      this.noDialBack.delete(this.noDialBack.keys().next().value as string)
    }
    this.noDialBack.set(peer, Date.now() + NO_DIAL_BACK_MS)
  }
}
