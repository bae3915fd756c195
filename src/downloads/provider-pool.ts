import { setTimeout as sleep } from 'node:timers/promises'
import { peerIdFromString } from '@libp2p/peer-id'
import { backoff } from '../timing.ts'
import { NoProvidersError } from './errors.ts'
import type { DownloadTunables } from './types.ts'
import type { Logger, PeerId } from '@libp2p/interface'

/** A provider the download may ask. */
export interface Provider {
  /** The peer id as a string, the key used everywhere in a download. */
  id: string
  peerId: PeerId
}

/** How a {@link ProviderPool} finds providers. */
export interface ProviderPoolInit {
  contentId: string
  /** Asked at every round: the current candidates (peer id strings); the signal ends the search when the time without progress is up. */
  source: (signal: AbortSignal) => Promise<string[]>
  tunables: Pick<DownloadTunables, 'maxProviderRounds' | 'noProgressTimeoutMs' | 'retryBackoffMs' | 'maxRetryBackoffMs'>
  log: Logger
}

/**
 * The providers of one download, asked for in rounds. A round that brings no
 * progress (no manifest, no verified piece) counts against a bound; the next
 * round waits a back-off that doubles, and when the bound is reached, or the
 * time without progress is up, the download fails with {@link NoProvidersError}
 * (it is then interrupted, and resumes by itself later). The time bound is
 * what a user waits for when every provider is gone: behind NAT a dead
 * provider's dial and DHT lookups take their whole timeouts, so five rounds
 * alone could take minutes. A provider that sent bad data
 * is banned and never offered again during this download; one that failed
 * is offered after the others, so a round limited to a few providers does
 * not keep trying the same dead ones.
 */
export class ProviderPool {
  private readonly init: ProviderPoolInit
  private readonly banned = new Set<string>()
  private readonly strikes = new Map<string, number>()
  private idleRounds = 0
  private started = false
  private lastProgressAt = 0
  /** The last failure a provider gave, so a download that gives up can say why. */
  private lastFailure?: string

  constructor (init: ProviderPoolInit) {
    this.init = init
  }

  /** Leaves a provider out of every later round. */
  ban (peer: string): void {
    this.banned.add(peer)
  }

  /** Notes that a provider failed (and why, when known); later rounds offer it after the ones that failed less. */
  strike (peer: string, reason?: Error): void {
    this.strikes.set(peer, (this.strikes.get(peer) ?? 0) + 1)
    if (reason != null) {
      this.lastFailure = reason.message
    }
  }

  /**
   * The providers for the next round. `progressed` says whether the previous
   * round got anywhere; after `maxProviderRounds` rounds in a row that did not,
   * or two or more such rounds over `noProgressTimeoutMs`, throws
   * {@link NoProvidersError}.
   */
  async nextRound (progressed: boolean, signal: AbortSignal): Promise<Provider[]> {
    const { maxProviderRounds, noProgressTimeoutMs, retryBackoffMs, maxRetryBackoffMs } = this.init.tunables
    if (!this.started || progressed) {
      this.lastProgressAt = Date.now()
    }
    if (this.started) {
      this.idleRounds = progressed ? 0 : this.idleRounds + 1
      const stalledMs = Date.now() - this.lastProgressAt
      // The time bound takes a second round: one slow round (a provider still
      // starting, a dial queued behind others) must not end a download alone.
      if (this.idleRounds >= maxProviderRounds || (this.idleRounds > 1 && stalledMs >= noProgressTimeoutMs)) {
        const why = this.lastFailure == null ? '' : ` (last: ${this.lastFailure})`
        throw new NoProvidersError(`no provider could supply ${this.init.contentId.slice(0, 12)} after ${this.idleRounds} ${this.idleRounds === 1 ? 'attempt' : 'attempts'} in ${Math.round(stalledMs / 1000)} s${why}`)
      }
      if (this.idleRounds > 0) {
        await sleep(Math.min(backoff(this.idleRounds - 1, retryBackoffMs, maxRetryBackoffMs), Math.max(0, noProgressTimeoutMs - stalledMs)), undefined, { signal })
      }
    }
    this.started = true
    let ids: string[]
    // A search gets what is left of the time, and at least a sixth of it, so the second round still looks.
    const remainingMs = Math.max(noProgressTimeoutMs / 6, this.lastProgressAt + noProgressTimeoutMs - Date.now())
    try {
      ids = await this.init.source(AbortSignal.any([signal, AbortSignal.timeout(remainingMs)]))
    } catch (err) {
      signal.throwIfAborted()
      this.init.log.error('could not list providers of %s - %e', this.init.contentId, err)
      ids = []
    }
    return this.usable(ids)
  }

  private usable (ids: string[]): Provider[] {
    const providers = new Map<string, Provider>()
    for (const id of ids) {
      if (this.banned.has(id) || providers.has(id)) {
        continue
      }
      try {
        providers.set(id, { id, peerId: peerIdFromString(id) })
      } catch {
        this.init.log('ignoring malformed provider id %s', id)
      }
    }
    // Stable: among equals, the order of `source` (the caller's preference) holds.
    return [...providers.values()].sort((a, b) => (this.strikes.get(a.id) ?? 0) - (this.strikes.get(b.id) ?? 0))
  }
}
