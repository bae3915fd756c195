/**
 * Backs off from a peer that refuses us. A peer that blocks or bans us can
 * only hang up after the handshake (its gater learns our id there), and by
 * then our side of the handshake is complete: to libp2p the dial succeeded.
 * libp2p's reconnect queue redials a kad-dht keep-alive peer at once on every
 * disconnect, so without this a refused peer was redialled about ten times a
 * second for as long as the refusal lasted. Each of those connections counts
 * against the refusing peer's inbound limit per IP address (libp2p's
 * `inboundConnectionThreshold`, 5 a second), so the storm also shut out every
 * other peer behind our address, and right after an `unblock` the owner's own
 * `connect` was refused.
 *
 * An outbound connection that closes before identify completed on it, within
 * {@link REFUSED_WITHIN_MS} of opening, counts as a refusal: automatic dials
 * of that peer are then denied for 1 s, doubling with each refusal in a row up
 * to 60 s. A connection that completes identify clears the count; the owner's
 * explicit `connect` forgives at once.
 */
import { backoff } from './timing.ts'
import type { ComponentLogger, Connection, IdentifyResult, Libp2pEvents, Logger, PeerId, TypedEventTarget } from '@libp2p/interface'

/** A connection that closes sooner than this after opening, unidentified, was refused. */
export const REFUSED_WITHIN_MS = 10_000
/** The first backoff; it doubles with each refusal in a row. */
const BACKOFF_MIN_MS = 1000
const BACKOFF_MAX_MS = 60_000
/** Peers remembered at once, so a horde of refusing peer ids cannot grow memory without limit. */
const MAX_TRACKED_PEERS = 10_000

/** Init for {@link RefusalBackoff}. */
export interface RefusalBackoffInit {
  logger?: ComponentLogger
  /** Clock in ms (tests pass a fake one). */
  now?: () => number
}

interface Refusals {
  count: number
  until: number
}

/** Counts refusals per peer and says which peers automatic dials should leave alone for now. */
export class RefusalBackoff {
  private readonly now: () => number
  private readonly log?: Logger
  /** Outbound connections that have not completed identify yet. */
  private readonly unidentified = new WeakSet<Connection>()
  /** Map order = least recently refused first. */
  private readonly refusals = new Map<string, Refusals>()

  constructor (init: RefusalBackoffInit = {}) {
    this.now = init.now ?? (() => Date.now())
    this.log = init.logger?.forComponent('peerit:refusals')
    this.onOpen = this.onOpen.bind(this)
    this.onIdentify = this.onIdentify.bind(this)
    this.onClose = this.onClose.bind(this)
  }

  /** Follows a libp2p node's connections (listeners live as long as the node). */
  watch (events: TypedEventTarget<Libp2pEvents>): void {
    events.addEventListener('connection:open', this.onOpen)
    events.addEventListener('peer:identify', this.onIdentify)
    events.addEventListener('connection:close', this.onClose)
  }

  /** True while automatic dials of `peer` should wait. */
  isBackingOff (peer: PeerId | string): boolean {
    const refusals = this.refusals.get(peer.toString())
    return refusals != null && refusals.until > this.now()
  }

  /** The owner asked for this peer: dial it now, and count its refusals afresh. */
  forgive (peer: PeerId | string): void {
    this.refusals.delete(peer.toString())
  }

  private onOpen (event: CustomEvent<Connection>): void {
    if (event.detail.direction === 'outbound') {
      this.unidentified.add(event.detail)
    }
  }

  private onIdentify (event: CustomEvent<IdentifyResult>): void {
    this.unidentified.delete(event.detail.connection)
    this.refusals.delete(event.detail.peerId.toString())
  }

  private onClose (event: CustomEvent<Connection>): void {
    const connection = event.detail
    if (!this.unidentified.has(connection)) {
      return
    }
    this.unidentified.delete(connection)
    if (this.now() - connection.timeline.open > REFUSED_WITHIN_MS) {
      return
    }
    const key = connection.remotePeer.toString()
    const count = (this.refusals.get(key)?.count ?? 0) + 1
    const waitMs = backoff(count - 1, BACKOFF_MIN_MS, BACKOFF_MAX_MS)
    this.refusals.delete(key)
    this.refusals.set(key, { count, until: this.now() + waitMs })
    for (const oldest of this.refusals.keys()) {
      if (this.refusals.size <= MAX_TRACKED_PEERS) {
        break
      }
      this.refusals.delete(oldest)
    }
    this.log?.('%s hung up before identify (refusal %d in a row): no automatic dial for %d ms', key, count, waitMs)
  }
}
