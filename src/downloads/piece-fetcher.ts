import { setTimeout as sleep } from 'node:timers/promises'
import { raceSignal } from 'race-signal'
import { pieceLength, verifyPiece } from '../../protocols/file/manifest.ts'
import { backoff } from '../timing.ts'
import { BadPieceError, StallError } from './errors.ts'
import { PendingWrites } from './pending-writes.ts'
import { ratedRunLength, worthDuplicate } from './piece-scheduler.ts'
import { RateWindow } from './rate-window.ts'
import type { Manifest, PeeritFile, PieceData } from '../../protocols/file/index.ts'
import type { Budget } from './budget.ts'
import type { DownloadRate } from './download-rate.ts'
import type { PartFile } from './part-file.ts'
import type { PieceRun, PieceScheduler } from './piece-scheduler.ts'
import type { Provider, ProviderPool } from './provider-pool.ts'
import type { DownloadTunables } from './types.ts'
import type { Logger } from '@libp2p/interface'

/** What a {@link PieceFetcher} works with. */
export interface PieceFetcherInit {
  contentId: string
  manifest: Manifest
  file: PeeritFile
  scheduler: PieceScheduler
  part: PartFile
  pool: ProviderPool
  /** Bytes in flight, shared by every download. */
  budget: Budget
  /** The node's download rate: requests wait here before they are sent. */
  rate: DownloadRate
  tunables: DownloadTunables
  log: Logger
  /** A piece was verified and written (not flushed yet). */
  onPiece: (index: number, peer: string) => void
}

/** What to do about a failed request. */
type Verdict = 'fatal' | 'ban' | 'gone' | 'retry'

// Errors named by the file protocol and by this module, sorted by what they say about the provider.
const VERDICTS: Record<string, Verdict> = {
  DiskFullError: 'fatal',
  DownloadWriteError: 'fatal',
  BadPieceError: 'ban',
  ProtocolError: 'ban',
  InvalidManifestError: 'ban',
  NotFoundError: 'gone',
  FileUnavailableError: 'gone'
}

/** A piece request in flight. */
interface PieceRequest {
  first: number
  /** The next piece due; those before it arrived (and are written or being written). */
  next: number
  end: number
  controller: AbortController
  /** When the request started or last delivered a piece. */
  lastProgress: number
}

/** A provider in use: its lanes share its failure count and end together. */
interface Session {
  provider: Provider
  failures: number
  controller: AbortController
}

/** How long a provider's deliveries must span before its rate sizes its requests. */
const RATE_SPAN_MS = 1000

/**
 * Piece writes one request keeps in flight: one in libuv's pool while the next
 * piece is hashed is what removes the wait; a few more absorb a slow write.
 */
const WRITES_IN_FLIGHT = 4

/** Marks a request aborted because other providers delivered all its remaining pieces. */
const SUPERSEDED = Symbol('superseded')

/**
 * Fetches the missing pieces of one file from several providers at once.
 * Each provider gets `maxRequestsPerPeer` lanes, each a loop of requests for
 * runs of pieces; every piece is verified on arrival and written at its
 * offset while the next ones arrive (a few writes in flight per request), and
 * counts as done once its write has finished. A provider that stalls or fails gives its pieces back; one that
 * sends a bad piece is banned. When every provider has dropped out, the pool
 * is asked for a new round.
 */
export class PieceFetcher {
  private readonly init: PieceFetcherInit
  private readonly inFlight = new Map<string, number>()
  private readonly requests = new Set<PieceRequest>()
  /** Each provider's delivery rate, over all its lanes. */
  private readonly rates = new Map<string, { window: RateWindow, bytes: number, since: number }>()
  /** Request lanes of the current round: every provider's `maxRequestsPerPeer`. */
  private lanes = 1
  /** Providers of the current round. */
  private providersInRound = 1

  constructor (init: PieceFetcherInit) {
    this.init = init
  }

  /** Providers with a request in flight. */
  get peers (): string[] {
    return [...this.inFlight.keys()]
  }

  /** Runs until every piece is verified; throws NoProvidersError, a write error, or the signal's reason. */
  async run (signal: AbortSignal): Promise<void> {
    const { scheduler, pool, tunables } = this.init
    const fatal = new AbortController()
    const runSignal = AbortSignal.any([signal, fatal.signal])
    // The manifest came from a provider just now: that counts as progress.
    let progressed = true
    while (!scheduler.complete) {
      const providers = (await pool.nextRound(progressed, signal)).slice(0, tunables.maxPeersPerDownload)
      this.lanes = Math.max(1, providers.length * tunables.maxRequestsPerPeer)
      this.providersInRound = providers.length
      const before = scheduler.piecesDone
      await Promise.all(providers.map(async provider => this.session(provider, runSignal, fatal)))
      if (fatal.signal.aborted) {
        throw fatal.signal.reason
      }
      signal.throwIfAborted()
      progressed = scheduler.piecesDone > before
    }
  }

  private async session (provider: Provider, signal: AbortSignal, fatal: AbortController): Promise<void> {
    const session: Session = { provider, failures: 0, controller: new AbortController() }
    const sessionSignal = AbortSignal.any([signal, session.controller.signal])
    const lanes = Array.from({ length: this.init.tunables.maxRequestsPerPeer }, async () => this.lane(session, sessionSignal, fatal))
    await Promise.all(lanes)
  }

  private async lane (session: Session, signal: AbortSignal, fatal: AbortController): Promise<void> {
    const { tunables, log } = this.init
    const { id } = session.provider
    while (!signal.aborted) {
      try {
        const run = await this.claim(id, signal)
        if (run == null) {
          return
        }
        await this.request(session.provider, run, signal)
        session.failures = 0
      } catch (caught) {
        if (signal.aborted) {
          return
        }
        const err = caught as Error
        const verdict = VERDICTS[err.name] ?? 'retry'
        log('request to %s failed (%s) - %e', id, verdict, err)
        if (verdict === 'fatal') {
          fatal.abort(err)
          return
        }
        if (verdict === 'ban') {
          this.init.pool.ban(id)
          session.controller.abort()
          log('banned %s from %s - %e', id, this.init.contentId, err)
          return
        }
        if (verdict === 'gone' || ++session.failures >= tunables.maxPeerFailures) {
          this.init.pool.strike(id)
          session.controller.abort()
          return
        }
        // A busy provider too: its failures reset as soon as one of its other lanes gets through.
        await sleep(backoff(session.failures - 1, tunables.retryBackoffMs, tunables.maxRetryBackoffMs), undefined, { signal }).catch(() => {})
      }
    }
  }

  /** Waits for room in the budget and for pieces to claim; undefined once there is nothing left to claim. */
  private async claim (peer: string, signal: AbortSignal): Promise<PieceRun | undefined> {
    const { scheduler, budget, manifest, tunables } = this.init
    const duplicable = (index: number): boolean => this.worthDuplicating(index, tunables.endGameAfterMs)
    while (!scheduler.complete) {
      // Runs shrink so that what is left is spread over every lane: a small file still
      // draws on all its providers, and the end game duplicates little.
      const missing = scheduler.pieceCount - scheduler.piecesDone
      const length = Math.max(1, Math.min(tunables.piecesPerRequest, Math.ceil(missing / this.lanes), this.pacedRun(), this.ratedRun(peer)))
      const most = length * manifest.pieceSize
      await budget.acquire(most, signal)
      const run = scheduler.claim(peer, length, duplicable)
      if (run != null) {
        budget.release(most - this.runBytes(run))
        return run
      }
      budget.release(most)
      // Every missing piece is in flight elsewhere: wait for one to land or come back, or for a request to go quiet.
      await raceSignal(Promise.race([scheduler.changed(), sleep(tunables.endGameAfterMs, undefined, { ref: false })]), signal)
    }
    return undefined
  }

  /**
   * Pieces in a request under a download rate: about a second's worth. Shorter requests arrive more
   * evenly but leave the lanes idle between them (a quarter second measured 0.84 of the rate on a busy
   * machine, a second 1.02: docs/benchmarks.md).
   */
  private pacedRun (): number {
    const { rate, manifest } = this.init
    return rate.bytesPerSecond > 0 ? Math.max(1, Math.floor(rate.bytesPerSecond / manifest.pieceSize)) : Number.POSITIVE_INFINITY
  }

  /**
   * The run for one of `peer`'s lanes at the rate it has delivered so far (see {@link ratedRunLength}).
   * A provider alone in its round has nobody to share the last runs with, so its runs are long from
   * the start (every new stream begins with yamux's small window, and short runs cost both sides a
   * fifth more CPU per byte), but no longer than its lanes' share of the byte budget: a run's budget
   * comes back only as its pieces are written, so a run of the whole budget kept the next request
   * from going out until the last write had finished, and the connection idled between requests
   * (docs/benchmarks.md).
   */
  private ratedRun (peer: string): number {
    const { manifest, tunables, budget } = this.init
    if (this.providersInRound === 1) {
      return Math.max(1, Math.floor(budget.capacity / (tunables.maxRequestsPerPeer * manifest.pieceSize)))
    }
    const rate = this.rates.get(peer)
    // Two lanes' first pieces land a moment apart: a rate is trusted only once it spans a while.
    const measured = rate != null && Date.now() - rate.since >= RATE_SPAN_MS ? rate.window.rate : 0
    return ratedRunLength(measured, manifest.pieceSize, tunables.requestSeconds, tunables.maxRequestsPerPeer)
  }

  /** Counts bytes `peer` delivered, for its rate. */
  private delivered (peer: string, bytes: number): void {
    const rate = this.rates.get(peer) ?? { window: new RateWindow(), bytes: 0, since: Date.now() }
    this.rates.set(peer, rate)
    rate.bytes += bytes
    rate.window.push(rate.bytes)
  }

  private async request (provider: Provider, run: PieceRun, laneSignal: AbortSignal): Promise<void> {
    const { file, contentId, manifest, scheduler, budget, tunables } = this.init
    // Waiting for the rate is not going quiet: the end game must not duplicate a request that was never sent.
    const request: PieceRequest = { first: run.first, next: run.first, end: run.first + run.count, controller: new AbortController(), lastProgress: Number.POSITIVE_INFINITY }
    const signal = AbortSignal.any([laneSignal, request.controller.signal])
    this.requests.add(request)
    const writes = new PendingWrites(WRITES_IN_FLIGHT)
    let stall: ReturnType<typeof setTimeout> | undefined
    try {
      await this.init.rate.take(this.runBytes(run), signal)
      request.lastProgress = Date.now()
      stall = setTimeout(() => { request.controller.abort(new StallError(provider.id, tunables.stallTimeoutMs)) }, tunables.stallTimeoutMs)
      this.inFlight.set(provider.id, (this.inFlight.get(provider.id) ?? 0) + 1)
      for await (const piece of file.getPieces(provider.peerId, contentId, manifest, run.first, run.count, { signal })) {
        stall.refresh()
        request.lastProgress = Date.now()
        this.delivered(provider.id, piece.byteLength)
        const index = request.next
        // Verified now; written (and only then counted) while the next pieces arrive.
        const write = this.accept(provider.id, index, piece)
        request.next++
        await writes.add(write.finally(() => { budget.release(pieceLength(manifest, index)) }))
        if (request.next < request.end && this.superseded(request)) {
          await writes.drain()
          return
        }
      }
      await writes.drain()
      if (request.next < request.end) {
        throw new Error(`${provider.id} ended the response after piece ${request.next - 1}`)
      }
    } catch (err) {
      // A piece that could not be written says more than whatever ended the request after it.
      await writes.settled()
      if (writes.error != null && writes.error !== err) {
        throw writes.error
      }
      const reason = request.controller.signal.reason
      if (laneSignal.aborted || reason == null || VERDICTS[(err as Error).name] === 'fatal') {
        throw err
      }
      if (reason !== SUPERSEDED) {
        // The stall, rather than the generic abort error it caused.
        throw reason
      }
    } finally {
      this.requests.delete(request)
      if (stall != null) {
        clearTimeout(stall)
        const left = (this.inFlight.get(provider.id) ?? 1) - 1
        if (left === 0) {
          this.inFlight.delete(provider.id)
        } else {
          this.inFlight.set(provider.id, left)
        }
      }
      const rest = { first: request.next, count: request.end - request.next }
      scheduler.release(provider.id, rest)
      budget.release(this.runBytes(rest))
    }
  }

  /**
   * Verifies one arrived piece at once (a bad one throws here), then returns
   * its write, after which it counts as done; nothing to write when another
   * provider delivered it first.
   */
  private accept (peer: string, expected: number, piece: PieceData): Promise<void> {
    const { manifest, scheduler } = this.init
    if (piece.index !== expected) {
      throw new BadPieceError(`${peer} sent piece ${piece.index} where ${expected} was due`)
    }
    if (scheduler.isDone(expected)) {
      return Promise.resolve()
    }
    // The chunks as they arrived: hashed and written without joining them into one buffer.
    if (!verifyPiece(manifest, expected, piece.chunks)) {
      throw new BadPieceError(`${peer} sent piece ${expected} with the wrong hash`)
    }
    return this.write(peer, expected, piece.chunks)
  }

  private async write (peer: string, index: number, chunks: readonly Uint8Array[]): Promise<void> {
    const { manifest, scheduler, part } = this.init
    try {
      await part.write(chunks, index * manifest.pieceSize)
    } catch (err) {
      // Another provider may deliver it; the error itself ends the download (a write error is fatal).
      scheduler.release(peer, { first: index, count: 1 })
      throw err
    }
    if (scheduler.markDone(index)) {
      this.init.onPiece(index, peer)
      this.abortSuperseded()
    }
  }

  /** End game: a duplicate request whose pieces all arrived from elsewhere is cancelled, freeing its provider. */
  private abortSuperseded (): void {
    for (const request of this.requests) {
      if (this.superseded(request)) {
        request.controller.abort(SUPERSEDED)
      }
    }
  }

  /** Whether piece `index`, in flight elsewhere, is worth a second request now (see {@link worthDuplicate}). */
  private worthDuplicating (index: number, quietMs: number): boolean {
    const { scheduler } = this.init
    for (const request of this.requests) {
      if (index >= request.first && index < request.end) {
        if (index < request.next) {
          // It arrived and is being written: done in a moment.
          return false
        }
        // What the holder still has to send next: its first stretch of pieces no other provider has
        // delivered yet, so that what is left of a shared run is halved again.
        let next = request.next
        while (next < request.end && scheduler.isDone(next)) {
          next++
        }
        let end = next
        while (end < request.end && !scheduler.isDone(end)) {
          end++
        }
        return worthDuplicate({ next, end, lastProgress: request.lastProgress }, index, Date.now(), quietMs)
      }
    }
    return true
  }

  private superseded (request: PieceRequest): boolean {
    for (let index = request.next; index < request.end; index++) {
      if (!this.init.scheduler.isDone(index)) {
        return false
      }
    }
    return true
  }

  private runBytes (run: PieceRun): number {
    const { size, pieceSize } = this.init.manifest
    return Math.max(0, Math.min(size, (run.first + run.count) * pieceSize) - run.first * pieceSize)
  }
}
