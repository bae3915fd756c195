import type { Bitfield } from './bitfield.ts'

/** A contiguous run of pieces, the unit a provider is asked for. */
export interface PieceRun {
  first: number
  count: number
}

/**
 * Decides which pieces each provider is asked for. Every provider has the
 * whole file, so rarest-first buys nothing: pieces are handed out in order, in
 * contiguous runs (one request each). When no piece is left unclaimed, an idle
 * provider may duplicate a run still in flight at another one (BitTorrent's
 * end game), so one slow provider cannot hold back the last pieces; the first
 * verified copy wins. The caller says which runs are worth a duplicate.
 */
export class PieceScheduler {
  readonly pieceCount: number
  private readonly done: Bitfield
  /** Pieces in flight → the providers asked for them. */
  private readonly inFlight = new Map<number, Set<string>>()
  /** No piece below this index is unclaimed. */
  private cursor = 0
  private nextChange = Promise.withResolvers<void>()

  /** `done` holds the pieces already verified; the scheduler sets more bits in it as pieces complete. */
  constructor (done: Bitfield) {
    this.pieceCount = done.length
    this.done = done
  }

  /** Whether every piece is verified. */
  get complete (): boolean {
    return this.done.full
  }

  /** How many pieces are verified. */
  get piecesDone (): number {
    return this.done.count
  }

  /** Whether piece `index` is verified. */
  isDone (index: number): boolean {
    return this.done.has(index)
  }

  /** Resolves the next time a piece completes or is released, so an idle provider can look again. */
  changed (): Promise<void> {
    return this.nextChange.promise
  }

  /**
   * Claims up to `max` contiguous pieces for `peer`: the first unclaimed ones,
   * or in the end game a run in flight at exactly one other provider, of
   * pieces `duplicable` allows. Undefined when there is nothing for this peer
   * to do now.
   */
  claim (peer: string, max: number, duplicable: (index: number) => boolean = () => true): PieceRun | undefined {
    const run = this.claimUnclaimed(max) ?? this.claimEndGame(peer, max, duplicable)
    if (run != null) {
      for (let index = run.first; index < run.first + run.count; index++) {
        const holders = this.inFlight.get(index) ?? new Set()
        holders.add(peer)
        this.inFlight.set(index, holders)
      }
    }
    return run
  }

  /** Marks a verified piece done; false when it already was (a duplicate from the end game). */
  markDone (index: number): boolean {
    this.inFlight.delete(index)
    if (this.done.has(index)) {
      return false
    }
    this.done.set(index)
    this.notify()
    return true
  }

  /** Gives back pieces `peer` will not deliver, so another provider can be asked. */
  release (peer: string, run: PieceRun): void {
    for (let index = run.first; index < run.first + run.count; index++) {
      const holders = this.inFlight.get(index)
      if (holders == null) {
        continue
      }
      holders.delete(peer)
      if (holders.size === 0) {
        this.inFlight.delete(index)
        this.cursor = Math.min(this.cursor, index)
      }
    }
    this.notify()
  }

  private claimUnclaimed (max: number): PieceRun | undefined {
    while (this.cursor < this.pieceCount && !this.unclaimed(this.cursor)) {
      this.cursor++
    }
    if (this.cursor >= this.pieceCount) {
      return undefined
    }
    const first = this.cursor
    let count = 0
    while (count < max && first + count < this.pieceCount && this.unclaimed(first + count)) {
      count++
    }
    this.cursor = first + count
    return { first, count }
  }

  private claimEndGame (peer: string, max: number, duplicable: (index: number) => boolean): PieceRun | undefined {
    // Only pieces held by exactly one other provider: two copies in flight
    // are enough, more would only waste the providers' bandwidth.
    const candidates = [...this.inFlight]
      .filter(([index, holders]) => holders.size === 1 && !holders.has(peer) && duplicable(index))
      .map(([index]) => index)
      .sort((a, b) => a - b)
    if (candidates.length === 0) {
      return undefined
    }
    const first = candidates[0]
    let count = 1
    while (count < max && candidates[count] === first + count) {
      count++
    }
    return { first, count }
  }

  private unclaimed (index: number): boolean {
    return !this.done.has(index) && !this.inFlight.has(index)
  }

  private notify (): void {
    this.nextChange.resolve()
    this.nextChange = Promise.withResolvers<void>()
  }
}

/**
 * Pieces in a provider's requests until its rate is known: small, so a slow
 * provider holds little while it is being measured.
 */
export const FIRST_REQUEST_PIECES = 8

/**
 * Pieces that keep one of a provider's `lanes` busy for about `seconds` at its
 * measured `bytesPerSecond` (0: not measured yet): a fast provider gets long
 * runs (fewer streams, each costing set-up and a window that has to grow),
 * a slow one short runs, so it holds back little at the end of a download.
 */
export function ratedRunLength (bytesPerSecond: number, pieceSize: number, seconds: number, lanes: number): number {
  if (bytesPerSecond <= 0) {
    return FIRST_REQUEST_PIECES
  }
  return Math.max(1, Math.floor(bytesPerSecond * seconds / (pieceSize * lanes)))
}

/** A request in flight as the end game sees it: it delivers pieces [next, end) in order. */
export interface RunInFlight {
  next: number
  end: number
  /** When it last delivered a piece (or started); +Infinity while it waits to be sent. */
  lastProgress: number
}

/**
 * Whether piece `index` of a request in flight at another provider is worth a
 * second request at `now`. The back half of a run still being delivered is:
 * the idle provider works from the middle while the holder works from the
 * front, so a slow provider's last run is shared instead of waited for (and
 * halved again if the idle one finishes first). The front half only once the
 * request has delivered nothing for `quietMs`: racing the holder for the very
 * pieces it sends next would only cost the providers' upload. A request not
 * sent yet (waiting for the download rate) never: a duplicate would wait for
 * the same rate.
 */
export function worthDuplicate (request: RunInFlight, index: number, now: number, quietMs: number): boolean {
  if (request.lastProgress === Number.POSITIVE_INFINITY) {
    return false
  }
  return now - request.lastProgress >= quietMs || index >= request.next + Math.ceil((request.end - request.next) / 2)
}
