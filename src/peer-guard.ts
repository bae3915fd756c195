/**
 * Strikes and bans. The protocol services report every rule a peer breaks
 * (over its request rate, malformed frames, protocol violations); a peer that
 * collects `strikesBeforeBan` strikes within `strikeWindowMs` is banned for
 * `banMs`: the node hangs up on it and libp2p's connection gater refuses it,
 * inbound and outbound, until the ban expires.
 */
import type { ComponentLogger, ConnectionGater, Logger, PeerId } from '@libp2p/interface'

/** Options of a {@link PeerGuard}. */
export interface PeerGuardInit {
  /** Strikes within the window that ban a peer; 0 never bans (strikes are still logged). */
  strikesBeforeBan: number
  /** How far back strikes count, in ms. */
  strikeWindowMs: number
  /** How long a ban lasts, in ms. */
  banMs: number
  /** Called once when a peer is banned (the node hangs up on it here). */
  onBan?: (peer: PeerId, kind: string) => void
  /** Peers whose strikes are remembered at once; past it the least recently struck are forgotten. Default 10,000. */
  maxTrackedPeers?: number
  /** Peers the owner blocked: refused like banned ones, for as long as this says so. */
  isBlocked?: (peerId: string) => boolean
  /** Monotonic clock in ms (tests pass a fake one). */
  now?: () => number
  logger?: ComponentLogger
}

/** A ban as {@link PeerGuard.bans} lists it. */
export interface PeerBan {
  peerId: string
  /** The violation that tipped the peer over the threshold. */
  kind: string
  /** Ms left until the ban expires. */
  remainingMs: number
}

/** Remembered strikes (and live bans) are bounded so a horde of fresh peer ids cannot grow memory without limit. */
const MAX_TRACKED_PEERS = 10_000

/** Counts strikes per peer, bans repeat offenders and answers libp2p's gater questions. */
export class PeerGuard {
  /** Install as `createLibp2p({ connectionGater })`: a banned or blocked peer is neither accepted nor dialled. */
  readonly connectionGater: ConnectionGater
  private readonly init: PeerGuardInit
  private readonly now: () => number
  private readonly maxTrackedPeers: number
  private readonly log?: Logger
  /** Strike times per peer, oldest first; never longer than the threshold. Map order = least recently struck first. */
  private readonly strikes = new Map<string, number[]>()
  /** Ban expiry per peer; every ban lasts as long, so map order is expiry order. */
  private readonly banned = new Map<string, { until: number, kind: string }>()

  constructor (init: PeerGuardInit) {
    this.init = init
    this.now = init.now ?? (() => performance.now())
    this.maxTrackedPeers = Math.max(1, init.maxTrackedPeers ?? MAX_TRACKED_PEERS)
    this.log = init.logger?.forComponent('peerit:guard')
    const refuse = (peer: PeerId): boolean => this.isBanned(peer) || init.isBlocked?.(peer.toString()) === true
    // Not denyInboundConnection: before the handshake the peer id is unknown, and
    // banning the IP would punish every peer behind the same NAT (or on localhost).
    this.connectionGater = {
      denyDialPeer: refuse,
      denyInboundEncryptedConnection: refuse,
      denyOutboundEncryptedConnection: refuse
    }
  }

  /**
   * Records one violation by `peer`. Returns true when this strike banned it.
   * A peer that is already banned collects no more strikes.
   */
  strike (peer: PeerId, kind: string): boolean {
    const key = peer.toString()
    if (this.isBanned(key)) {
      return false
    }
    const now = this.now()
    const since = now - this.init.strikeWindowMs
    const times = (this.strikes.get(key) ?? []).filter(time => time > since)
    times.push(now)
    this.log?.('strike %d against %s: %s', times.length, key, kind)
    this.strikes.delete(key)
    if (this.init.strikesBeforeBan > 0 && times.length >= this.init.strikesBeforeBan) {
      this.ban(peer, kind)
      return true
    }
    // keep only what can still matter: the threshold's worth of the latest strikes
    this.strikes.set(key, times.slice(-Math.max(1, this.init.strikesBeforeBan)))
    this.forgetOverflow(this.strikes)
    return false
  }

  /** Bans `peer` for banMs now, whatever its strikes. */
  ban (peer: PeerId, kind: string): void {
    const key = peer.toString()
    this.strikes.delete(key)
    this.banned.delete(key)
    this.banned.set(key, { until: this.now() + this.init.banMs, kind })
    this.forgetOverflow(this.banned)
    this.log?.('banned %s for %d s after %s', key, Math.round(this.init.banMs / 1000), kind)
    try {
      this.init.onBan?.(peer, kind)
    } catch (err) {
      this.log?.error('the ban callback threw - %e', err)
    }
  }

  /** True while `peer` is banned; an expired ban is dropped here. */
  isBanned (peer: PeerId | string): boolean {
    this.expireBans()
    return this.banned.has(peer.toString())
  }

  /** The live bans. */
  bans (): PeerBan[] {
    this.expireBans()
    const now = this.now()
    return [...this.banned].map(([peerId, ban]) => ({ peerId, kind: ban.kind, remainingMs: Math.max(0, ban.until - now) }))
  }

  /** Strikes within the window that `peer` has against it now. */
  strikesOf (peer: PeerId | string): number {
    const since = this.now() - this.init.strikeWindowMs
    return (this.strikes.get(peer.toString()) ?? []).filter(time => time > since).length
  }

  private expireBans (): void {
    const now = this.now()
    for (const [key, ban] of this.banned) {
      if (ban.until > now) {
        return
      }
      this.banned.delete(key)
      this.log?.('ban of %s expired', key)
    }
  }

  private forgetOverflow (map: Map<string, unknown>): void {
    for (const key of map.keys()) {
      if (map.size <= this.maxTrackedPeers) {
        return
      }
      map.delete(key)
    }
  }
}
