/**
 * Keeps every shared content id provided on the DHT. One provide is a lookup
 * of the 20 closest peers and a record sent to each (about a second on 50
 * nodes): 10,000 files one after the other would take hours, so provides run
 * {@link PROVIDE_CONCURRENCY} at a time, newest files first, and files shared
 * later jump the queue. kad-dht re-provides its own records before they
 * expire (48 h validity, checked hourly), also after a restart, since its
 * records persist; a file no longer shared stops being re-provided.
 */
import { backoff } from '../timing.ts'
import { contentIdToCid } from './content-key.ts'
import type { Logger } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** Provides running at once. */
export const PROVIDE_CONCURRENCY = 16

/** One provide gives up after this long. */
export const PROVIDE_TIMEOUT_MS = 60_000

/** A provide that reached no peer is retried after this long, doubling up to {@link RETRY_MAX_MS}. */
export const RETRY_MIN_MS = 30_000
export const RETRY_MAX_MS = 30 * 60_000

/** While the DHT knows no peer, the queue looks again this often. */
const NO_PEERS_RECHECK_MS = 1000

/** A shared file as the provider needs it. */
export interface ProvidedFile {
  id: string
  mtimeMs: number
}

/** What {@link ContentProvider} is built from. */
export interface ContentProviderInit {
  dht: KadDHT
  /** Whether the DHT knows at least one peer (a provide before that only waits). */
  hasPeers: () => boolean
  log: Logger
  concurrency?: number
  timeoutMs?: number
}

/** Counts of {@link ContentProvider.stats}. */
export interface ProvideStats {
  /** Content ids shared. */
  shared: number
  /** Of those, provided to at least one DHT peer in this run. */
  provided: number
  /** Waiting or running. */
  pending: number
  /** Waiting for a retry. */
  failed: number
}

/** The provide queue of one node; feed it the shared files with {@link reconcile}. */
export class ContentProvider {
  private readonly init: ContentProviderInit
  private readonly concurrency: number
  private shared = new Set<string>()
  private readonly provided = new Set<string>()
  private readonly failed = new Set<string>()
  private queue: string[] = []
  private readonly queued = new Set<string>()
  private running = 0
  private failedRounds = 0
  private retryTimer?: ReturnType<typeof setTimeout>
  private recheckTimer?: ReturnType<typeof setTimeout>
  private shutdown = new AbortController()
  private started = false
  private readonly idleWaiters: Array<() => void> = []

  constructor (init: ContentProviderInit) {
    this.init = init
    this.concurrency = init.concurrency ?? PROVIDE_CONCURRENCY
  }

  start (): void {
    this.started = true
    this.shutdown = new AbortController()
    this.pump()
  }

  stop (): void {
    this.started = false
    this.shutdown.abort()
    clearTimeout(this.retryTimer)
    clearTimeout(this.recheckTimer)
    this.retryTimer = undefined
    this.recheckTimer = undefined
  }

  /**
   * Brings the queue in line with what is shared now: ids not seen before are
   * provided next (newest first), ids no longer shared are dropped and their
   * re-provide cancelled.
   */
  reconcile (files: ProvidedFile[]): void {
    const current = new Set(files.map(f => f.id))
    for (const id of this.shared) {
      if (!current.has(id)) {
        this.forget(id)
      }
    }
    const fresh = files.filter(f => !this.shared.has(f.id) && !this.queued.has(f.id))
      .sort((a, b) => b.mtimeMs - a.mtimeMs)
      .map(f => f.id)
    this.shared = current
    const unique = [...new Set(fresh)]
    unique.forEach(id => this.queued.add(id))
    this.queue = [...unique, ...this.queue]
    this.pump()
  }

  /** How far providing is. */
  stats (): ProvideStats {
    return { shared: this.shared.size, provided: this.provided.size, pending: this.queued.size + this.running, failed: this.failed.size }
  }

  /** Resolves once nothing waits or runs (failed ids may still wait for their retry). */
  async onIdle (): Promise<void> {
    if (this.queued.size === 0 && this.running === 0) {
      return
    }
    await new Promise<void>(resolve => { this.idleWaiters.push(resolve) })
  }

  private forget (id: string): void {
    this.provided.delete(id)
    this.failed.delete(id)
    this.queued.delete(id)
    this.init.dht.cancelReprovide(contentIdToCid(id)).catch((err: Error) => {
      this.init.log('could not cancel the re-provide of %s - %e', id, err)
    })
  }

  private pump (): void {
    if (!this.started) {
      return
    }
    if (!this.init.hasPeers()) {
      if (this.queue.length > 0 && this.recheckTimer == null) {
        this.recheckTimer = setTimeout(() => { this.recheckTimer = undefined; this.pump() }, NO_PEERS_RECHECK_MS)
        this.recheckTimer.unref()
      }
      return
    }
    while (this.running < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string
      if (!this.queued.delete(id) || !this.shared.has(id)) {
        continue
      }
      this.running++
      void this.provide(id).finally(() => {
        this.running--
        this.pump()
        this.notifyIdle()
      })
    }
    this.notifyIdle()
  }

  private async provide (id: string): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.init.timeoutMs ?? PROVIDE_TIMEOUT_MS)])
    let peers = 0
    try {
      for await (const event of this.init.dht.provide(contentIdToCid(id), { signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'ADD_PROVIDER') {
          peers++
        }
      }
      if (peers === 0) {
        throw new Error('no DHT peer took the record')
      }
      if (this.shared.has(id)) {
        this.provided.add(id)
        this.failed.delete(id)
        this.failedRounds = 0
      }
      this.init.log.trace('provided %s to %d peers', id, peers)
    } catch (err: any) {
      if (this.shutdown.signal.aborted || !this.shared.has(id)) {
        return
      }
      this.init.log('providing %s failed (%d peers took it) - %e', id, peers, err)
      this.failed.add(id)
      this.scheduleRetry()
    }
  }

  /** One timer for every failed id: a DHT with no reachable peers costs one retry round, not thousands. */
  private scheduleRetry (): void {
    if (this.retryTimer != null || !this.started) {
      return
    }
    const delay = backoff(this.failedRounds++, RETRY_MIN_MS, RETRY_MAX_MS)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      const retry = [...this.failed].filter(id => this.shared.has(id) && !this.queued.has(id))
      this.failed.clear()
      retry.forEach(id => this.queued.add(id))
      this.queue.push(...retry)
      this.pump()
    }, delay)
    this.retryTimer.unref()
  }

  private notifyIdle (): void {
    if (this.queued.size === 0 && this.running === 0) {
      this.idleWaiters.splice(0).forEach(resolve => { resolve() })
    }
  }
}
