/**
 * The `/peerit/fetch/1.0` service: answers, forwards and relays fetches as a
 * responder, and starts them as an originator. The wire rules it follows are
 * in README.md; the TTL and deadline arithmetic in deadlines.ts.
 */
import { InvalidParametersError, NotStartedError, serviceCapabilities } from '@libp2p/interface'
import { raceSignal } from 'race-signal'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { Admission } from '../shared/admission.ts'
import { withDefaults } from '../shared/defaults.ts'
import * as defaults from './constants.ts'
import { PROTOCOL_1_1, PROTOCOLS, PRUNED_HOPS, WIRE_LIMITS } from './constants.ts'
import { answerBudgetMs, clampTtl, fetchTimeoutMs, neighbourBudgetMs } from './deadlines.ts'
import { DynamicQueryPlan } from './dynamic-query.ts'
import { InvalidMessageError, RateLimitedError, TooManyRecordsError, TooManyStreamsError } from './errors.ts'
import { FrameReader, encodeFrame, sendFrame } from './framing.ts'
import { decodeMessage11, decodeRequest, decodeResponse, encodeMessage11, encodeRequest, encodeResponse } from './messages.ts'
import { RecordMerger } from './record-merger.ts'
import { checkRecord, fromWireQuery, packRecords, toProviderRecord, toWireFiles, toWireQuery } from './records.ts'
import { RouteExchange } from './route-exchange.ts'
import { SeenCache } from './seen-cache.ts'
import { anySignal, timeoutSignal } from './signals.ts'
import type { QueryRound } from './dynamic-query.ts'
import type { FetchOptions, FetchResult, FetchStats, FetchViolation, PeeritFetch, PeeritFetchComponents, PeeritFetchInit, ProviderRecord, SharedFileEntry } from './index.ts'
import type { WireQuery, WireRecord, WireRequest, WireRouteTable } from './messages.ts'
import type { Connection, Logger, PeerId, Startable, Stream, StreamCloseEvent } from '@libp2p/interface'

/** Every limit, resolved from init and the defaults. */
type Limits = Required<Omit<PeeritFetchInit, 'localFiles' | 'sharedNames' | 'onRelayedRecord' | 'onViolation' | 'protocols'>>

/** Record frames one fetch may still pass on or keep, shared by all its neighbour streams. */
interface RecordBudget {
  records: number
}

/** Errors that mean the neighbour broke the protocol (counted as `rejected`), as opposed to a network failure. */
const PROTOCOL_VIOLATIONS = new Set(['InvalidMessageError', 'MessageTooLargeError', 'TruncatedMessageError', 'InvalidTtlError', 'TooManyRecordsError'])

/** The violation a protocol error is reported as. */
function violationOf (errorName: string): FetchViolation {
  return errorName === 'TooManyRecordsError' ? 'too-many-records' : 'malformed'
}

/** The fetch service; see {@link PeeritFetch}. */
export class PeeritFetchService implements PeeritFetch, Startable {
  readonly [Symbol.toStringTag] = '@peerit/fetch'
  readonly [serviceCapabilities] = ['@peerit/fetch']
  private readonly components: PeeritFetchComponents
  private readonly log: Logger
  private readonly limits: Limits
  private readonly localFiles: NonNullable<PeeritFetchInit['localFiles']>
  private readonly onRelayedRecord?: PeeritFetchInit['onRelayedRecord']
  /** The per-peer rate and the counts of inbound streams per peer and in total. */
  private readonly admission: Admission<FetchViolation>
  private readonly seenCache: SeenCache
  private readonly counters: FetchStats = {
    fetchesStarted: 0,
    originated: 0,
    requestsReceived: 0,
    duplicates: 0,
    forwarded: 0,
    recordsReceived: 0,
    recordsRelayed: 0,
    rejected: 0,
    timeouts: 0,
    bytesIn: 0,
    bytesOut: 0,
    rateLimited: 0,
    reforwarded: 0,
    filtered: 0,
    tablesSent: 0,
    tablesReceived: 0,
    seenCacheSize: 0,
    reachTables: 0
  }

  /** The versions this peer speaks, preferred first. */
  private readonly protocols: string[]
  /** The routing table exchange; undefined on a peer that does not speak 1.1. */
  private readonly routes?: RouteExchange

  /** Aborted by stop(): ends every stream and wait still in flight. */
  private lifetime?: AbortController

  constructor (components: PeeritFetchComponents, init: PeeritFetchInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('peerit:fetch')
    this.localFiles = init.localFiles ?? (() => [])
    this.onRelayedRecord = init.onRelayedRecord
    this.limits = withDefaults(defaults.defaultValues, init)
    this.admission = new Admission({ ...this.limits, log: this.log, onViolation: init.onViolation })
    this.protocols = (init.protocols ?? [...PROTOCOLS]).filter(protocol => (PROTOCOLS as readonly string[]).includes(protocol))
    if (this.protocols.length === 0) {
      throw new InvalidParametersError(`protocols must name at least one of ${PROTOCOLS.join(', ')}`)
    }
    if (this.protocols.includes(PROTOCOL_1_1)) {
      this.routes = new RouteExchange({
        components,
        names: async () => init.sharedNames != null
          ? init.sharedNames()
          : (await this.localFiles(undefined)).map(file => String(file.name)),
        neighbours: () => this.neighbours(),
        send: async (stream, body, signal) => { await this.send(stream, body, signal) },
        // a table is not urgent: a loaded neighbour gets ample time before the send is tried again
        timeoutMs: Math.max(10_000, 5 * this.limits.hopTimeoutMs),
        debounceMs: this.limits.tableDebounceMs,
        minIntervalMs: this.limits.tableMinIntervalMs,
        updatesPerMinute: this.limits.tableUpdatesPerMinute,
        onSent: () => { this.counters.tablesSent++ },
        onKept: () => { this.counters.tablesReceived++ },
        log: this.log
      })
    }
    this.seenCache = new SeenCache({ ttlMs: this.limits.seenTtlMs, maxEntries: this.limits.maxSeenEntries })
    this.handleStream = this.handleStream.bind(this)
  }

  /** A snapshot of the counters. */
  get stats (): FetchStats {
    return { ...this.counters, seenCacheSize: this.seenCache.size, reachTables: this.routes?.reachTables ?? 0 }
  }

  /** Registers a handler per version spoken and starts the routing table exchange. */
  async start (): Promise<void> {
    this.lifetime = new AbortController()
    for (const protocol of this.protocols) {
      await this.components.registrar.handle(protocol, this.handleStream, {
        maxInboundStreams: this.limits.maxInboundStreams,
        maxOutboundStreams: this.limits.maxOutboundStreams,
        // A fetch is small signalling: a peer reachable only through a limited relay may still ask.
        runOnLimitedConnection: true
      })
    }
    this.routes?.start()
  }

  /** Unregisters the handlers and ends everything in flight. */
  async stop (): Promise<void> {
    this.routes?.stop()
    for (const protocol of this.protocols) {
      await this.components.registrar.unhandle(protocol)
    }
    this.lifetime?.abort(new NotStartedError('the fetch service stopped'))
    this.lifetime = undefined
    this.seenCache.clear()
  }

  /** The share changed: a new routing table goes to the neighbours after the quiet time. */
  sharesChanged (): void {
    this.routes?.changed()
  }

  /** True between start() and stop(). */
  isStarted (): boolean {
    return this.lifetime != null
  }

  /** Floods a fetch (or, with a query and a limit, the rounds of a dynamic query) and collects the answers. */
  async fetch (options: FetchOptions = {}): Promise<FetchResult> {
    if (this.lifetime == null) {
      throw new NotStartedError('the fetch service is not started')
    }
    const ttl = clampTtl(options.ttl ?? this.limits.defaultTtl, 0, this.limits.maxTtl)
    const query = toWireQuery(options.query)
    options.signal?.throwIfAborted()
    const startedAt = performance.now()
    this.counters.fetchesStarted++

    // aborted once maxFilesPerFetch is reached: nothing more would be kept
    const enough = new AbortController()
    const overall = anySignal([
      options.signal,
      options.timeoutMs == null ? undefined : timeoutSignal(options.timeoutMs),
      this.lifetime.signal,
      enough.signal
    ])
    const merger = new RecordMerger(this.limits.maxFilesPerFetch)
    const links = shuffle(this.neighbours())
    const plan = options.limit != null && query != null
      ? new DynamicQueryPlan({ limit: options.limit, maxTtl: ttl, links: links.length })
      : undefined
    // all the rounds together never take longer than one flood with the largest TTL would
    const whole = plan != null && options.timeoutMs == null
      ? anySignal([overall, timeoutSignal(fetchTimeoutMs(ttl, this.limits.hopTimeoutMs))])
      : overall
    let round: QueryRound | undefined = plan == null ? { ttl, links: links.length, wholeLevels: ttl } : plan.first()
    let fetchId = ''
    let rounds = 0
    while (round != null && !whole.aborted) {
      // peers of the levels the routing tables leave whole
      const within = new Set<string>()
      const wholeLevels = round.wholeLevels
      const keep = (wire: WireRecord): void => {
        const record = toProviderRecord(wire)
        this.notify(options.onRecord, record)
        if (record.hops <= wholeLevels) {
          within.add(record.peerId)
        }
        if (!merger.add(record)) {
          enough.abort(new TooManyRecordsError(`kept ${merger.files} files, the limit of one fetch`))
        }
      }
      // a caller's timeout replaces a plain fetch's default deadline; each round of a dynamic query keeps its own
      const signal = plan == null && options.timeoutMs != null
        ? overall
        : anySignal([whole, timeoutSignal(fetchTimeoutMs(round.ttl, this.limits.hopTimeoutMs))])
      fetchId = await this.flood(round.ttl, links.slice(0, round.links), query, signal, keep)
      rounds++
      round = plan?.next({ peersWithin: within.size, results: merger.distinctFiles })
    }
    options.signal?.throwIfAborted()
    const durationMs = Math.round(performance.now() - startedAt)
    this.log('fetch %s (ttl %d, %d rounds) reached %d peers, %d files, in %d ms', fetchId, ttl, rounds, merger.size, merger.files, durationMs)
    return { fetchId, records: merger.records(), peersReached: merger.size, durationMs, rounds }
  }

  /** One flood with a fresh id on `links`; resolves with the id once every neighbour stream has ended. */
  private async flood (ttl: number, links: Connection[], query: WireQuery | undefined, signal: AbortSignal, keep: (record: WireRecord) => void): Promise<string> {
    const id = crypto.getRandomValues(new Uint8Array(WIRE_LIMITS.fetchIdBytes))
    const fetchId = uint8ArrayToString(id, 'base16')
    // our own id too, so a request that loops back to us is answered "duplicate"
    this.seenCache.add(fetchId)
    const request: WireRequest = query == null ? { id, ttl, hops: 0 } : { id, ttl, hops: 0, query }
    const budget: RecordBudget = { records: this.limits.maxRecordsPerFetch }
    // the originator asks its own neighbours directly, tables or not: a table may lag a share change by seconds
    await Promise.all(links.map(async connection => this.askNeighbour(connection, request, signal, budget, keep)))
    return fetchId
  }

  /**
   * The forwarding rule of 1.1: a forwarded keyword request with TTL 1 goes
   * only to the neighbours whose own table may match it, one with TTL 2 only
   * to those whose reach table may (all, when they sent none).
   */
  private recipients (links: Connection[], request: WireRequest): Connection[] {
    if (request.ttl > PRUNED_HOPS || request.query == null) {
      return links
    }
    const query = fromWireQuery(request.query)
    return links.filter(connection => {
      const may = this.routes?.mayMatch(connection.remotePeer.toString(), query, request.ttl) ?? true
      if (!may) {
        this.counters.filtered++
      }
      return may
    })
  }

  /**
   * The inbound handler: bounded per peer and in total, never throws into
   * libp2p. The rate and concurrency checks come before a single byte is
   * read, so a flood costs this peer no decoding, lookup or forwarding.
   */
  private async handleStream (stream: Stream, connection: Connection): Promise<void> {
    const remote = connection.remotePeer.toString()
    // Scoped to the stream, so one connection's story reads as one thread in DEBUG output.
    const log = stream.log.newScope('peerit-fetch')
    if (!this.admission.withinRate(remote)) {
      this.counters.rateLimited++
      log.trace('refusing a fetch stream from %s: over %d requests per minute', remote, this.limits.requestsPerMinute)
      this.report(connection.remotePeer, 'rate-limit')
      stream.abort(new RateLimitedError(`more than ${this.limits.requestsPerMinute} fetch requests per minute`))
      return
    }
    if (this.lifetime == null || !this.admission.enter(remote)) {
      const active = this.admission.activeOf(remote)
      this.counters.rejected++
      log('refusing a fetch stream from %s: %d open from it, %d in all', remote, active, this.admission.active)
      stream.abort(new TooManyStreamsError(`${active} fetch streams from this peer (${this.admission.active} in all) already open`))
      return
    }
    try {
      await this.answer(stream, connection, this.lifetime.signal)
    } catch (err) {
      this.countFailure(err, connection.remotePeer)
      log.error('fetch stream from %s failed - %e', remote, err)
      stream.abort(err as Error)
    } finally {
      this.admission.leave(remote)
    }
  }

  /**
   * Reads the request, answers duplicate or: remembers the id, forwards to the
   * other neighbours, sends the local record and relays theirs, all within
   * the budget the TTL gives (see deadlines.ts).
   */
  private async answer (stream: Stream, connection: Connection, lifetime: AbortSignal): Promise<void> {
    const receivedAt = performance.now()
    const elapsed = (): number => performance.now() - receivedAt
    const reader = new FrameReader(stream, this.limits.maxMessageBytes, bytes => { this.counters.bytesIn += bytes })
    let unwatch = (): void => {}
    try {
      const requestSignal = anySignal([lifetime, timeoutSignal(this.limits.hopTimeoutMs)])
      const frame = await reader.next(requestSignal)
      if (frame == null) {
        throw new InvalidMessageError('the stream ended before a request')
      }
      // the opener's frame must be the only one: the responder acts only once the opener's side has ended,
      // so a second frame is always seen, whenever it was sent (see "Exchange" in docs/protocols.md)
      if (await reader.next(requestSignal) != null) {
        throw new InvalidMessageError('a second frame after the request')
      }
      let request: WireRequest
      if (stream.protocol === PROTOCOL_1_1) {
        const message = decodeMessage11(frame)
        if (message.routeTable != null) {
          await this.takeTable(stream, connection, message.routeTable, requestSignal)
          return
        }
        request = message.request
      } else {
        request = decodeRequest(frame)
      }
      this.counters.requestsReceived++
      const ttl = clampTtl(request.ttl, request.hops, this.limits.maxTtl)
      const fetchId = uint8ArrayToString(request.id, 'base16')
      const sighting = this.seenCache.offer(fetchId, ttl)
      if (sighting === 'seen') {
        this.counters.duplicates++
        this.log.trace('fetch %s from %p is a duplicate', fetchId, connection.remotePeer)
        await this.send(stream, encodeResponse({ duplicate: true }), requestSignal)
        await stream.close({ signal: requestSignal })
        return
      }
      if (sighting === 'deeper') {
        // seen before over a longer path: forwarded again so the far side is searched as deep as this copy asks
        this.counters.reforwarded++
      }
      this.log.trace('fetch %s from %p, ttl %d, hops %d', fetchId, connection.remotePeer, ttl, request.hops)

      // the requester has nothing more to say; if its side breaks (it gave up), stop working for it
      const upstreamGone = new AbortController()
      const answerSignal = anySignal([lifetime, upstreamGone.signal, timeoutSignal(answerBudgetMs(ttl, this.limits.hopTimeoutMs) - elapsed())])
      unwatch = this.watchRequester(stream, upstreamGone)

      const relays: Array<Promise<void>> = []
      if (ttl > 1) {
        const neighbourSignal = anySignal([answerSignal, timeoutSignal(neighbourBudgetMs(ttl, this.limits.hopTimeoutMs) - elapsed())])
        const forward: WireRequest = { ...request, ttl: ttl - 1, hops: request.hops + 1 }
        const budget: RecordBudget = { records: this.limits.maxRecordsPerFetch }
        const relay = async (record: WireRecord): Promise<void> => {
          this.counters.recordsRelayed++
          if (this.onRelayedRecord != null) {
            this.notify(this.onRelayedRecord, toProviderRecord(record))
          }
          await this.send(stream, encodeResponse({ duplicate: false, record }), answerSignal)
        }
        for (const neighbour of this.recipients(this.neighbours(connection.remotePeer.toString()), forward)) {
          relays.push(this.askNeighbour(neighbour, forward, neighbourSignal, budget, relay))
        }
      }
      await this.sendLocalRecords(stream, request, answerSignal)
      await Promise.all(relays)
      // past the budget, the requester has stopped waiting: an abort says so more honestly than a close
      answerSignal.throwIfAborted()
      await stream.close({ signal: answerSignal })
    } finally {
      unwatch()
      reader.dispose()
    }
  }

  /** The requester's side has ended; a reset now means it gave up, so this peer stops working for it. */
  private watchRequester (stream: Stream, upstreamGone: AbortController): () => void {
    const onClose = (event: StreamCloseEvent): void => {
      if (event.error != null) {
        upstreamGone.abort(event.error)
      }
    }
    stream.addEventListener('close', onClose)
    return () => { stream.removeEventListener('close', onClose) }
  }

  /** A neighbour's routing table (1.1): kept, or ignored when stale; over its allowance, a violation. */
  private async takeTable (stream: Stream, connection: Connection, table: WireRouteTable, signal: AbortSignal): Promise<void> {
    // tables have their own allowance: the request rate is for requests
    this.admission.refund(connection.remotePeer.toString())
    if (this.routes?.receive(connection.remotePeer, table) === 'rate-limit') {
      this.counters.rateLimited++
      this.report(connection.remotePeer, 'rate-limit')
      stream.abort(new RateLimitedError(`more than ${this.limits.tableUpdatesPerMinute} routing tables per minute`))
      return
    }
    await stream.close({ signal })
  }

  /** This peer's own answer: its record(s) with the matching files, always at least one frame. */
  private async sendLocalRecords (stream: Stream, request: WireRequest, signal: AbortSignal): Promise<void> {
    let entries: SharedFileEntry[] = []
    try {
      entries = await raceSignal(Promise.resolve(this.localFiles(fromWireQuery(request.query))), signal)
    } catch (err) {
      signal.throwIfAborted()
      this.log.error('localFiles failed, answering with no files - %e', err)
    }
    const files = toWireFiles(entries)
    if (files.dropped > 0) {
      this.log('left out %d local files that cannot be sent (bad id, size, type or name)', files.dropped)
    }
    const base = { peerId: this.components.peerId.toString(), addresses: this.ownAddresses(), hops: request.hops + 1 }
    for (const record of packRecords(base, files.value ?? [], this.limits.maxFilesPerRecord, this.limits.maxMessageBytes)) {
      await this.send(stream, encodeResponse({ duplicate: false, record }), signal)
    }
  }

  /**
   * Sends `request` to one neighbour and hands every checked record it sends
   * back to `onRecord`, until it closes, breaks the protocol, exceeds a limit
   * or `signal` aborts. Never throws: a failed neighbour is logged and its
   * stream aborted; the fetch goes on with the others.
   */
  private async askNeighbour (connection: Connection, request: WireRequest, signal: AbortSignal, budget: RecordBudget, onRecord: (record: WireRecord) => void | Promise<void>): Promise<void> {
    let stream: Stream | undefined
    let reader: FrameReader | undefined
    const abortStream = (): void => { stream?.abort(signal.reason) }
    signal.addEventListener('abort', abortStream, { once: true })
    try {
      stream = await connection.newStream(this.protocols, { signal })
      if (request.hops === 0) {
        this.counters.originated++
      } else {
        this.counters.forwarded++
      }
      await this.send(stream, stream.protocol === PROTOCOL_1_1 ? encodeMessage11({ request }) : encodeRequest(request), signal)
      await stream.close({ signal })
      reader = new FrameReader(stream, this.limits.maxMessageBytes, bytes => { this.counters.bytesIn += bytes })
      let records = 0
      let duplicate = false
      for (let frame = await reader.next(signal); frame != null; frame = await reader.next(signal)) {
        const response = decodeResponse(frame, this.limits)
        if (duplicate || (response.duplicate && records > 0)) {
          throw new InvalidMessageError('"duplicate" must be the only frame of an answer')
        }
        if (response.record == null) {
          duplicate = true
          continue
        }
        records++
        this.counters.recordsReceived++
        if (records > this.limits.maxRecordsPerStream || budget.records <= 0) {
          throw new TooManyRecordsError(`more than ${records > this.limits.maxRecordsPerStream ? `${this.limits.maxRecordsPerStream} records on one stream` : `${this.limits.maxRecordsPerFetch} records in one fetch`}`)
        }
        budget.records--
        // its own record says hops + 1; everything it relays comes from farther away
        const checked = checkRecord(response.record, request.hops + 1, this.components.peerId.toString())
        this.counters.rejected += checked.dropped
        if (checked.value != null) {
          await onRecord(checked.value)
        }
      }
    } catch (err) {
      if (signal.aborted) {
        if ((signal.reason as Error | undefined)?.name === 'TimeoutError') {
          this.counters.timeouts++
        }
        this.log.trace('stopped waiting on %p - %e', connection.remotePeer, signal.reason)
      } else {
        this.countFailure(err, connection.remotePeer)
        this.log('fetch stream to %p failed - %e', connection.remotePeer, err)
      }
      stream?.abort(err as Error)
    } finally {
      signal.removeEventListener('abort', abortStream)
      reader?.dispose()
    }
  }

  /** One open, unlimited connection per connected peer, leaving out `except`. */
  private neighbours (except?: string): Connection[] {
    const byPeer = new Map<string, Connection>()
    for (const connection of this.components.connectionManager.getConnections()) {
      const peer = connection.remotePeer.toString()
      if (peer !== except && connection.status === 'open' && connection.limits == null && !byPeer.has(peer)) {
        byPeer.set(peer, connection)
      }
    }
    return [...byPeer.values()]
  }

  /** The addresses this peer announces, as many as a record may carry. */
  private ownAddresses (): Uint8Array[] {
    return this.components.addressManager.getAddresses()
      .map(address => address.bytes)
      .filter(bytes => bytes.byteLength <= WIRE_LIMITS.maxAddressBytes)
      .slice(0, WIRE_LIMITS.maxAddresses)
  }

  private async send (stream: Stream, body: Uint8Array, signal: AbortSignal): Promise<void> {
    const frame = encodeFrame(body)
    this.counters.bytesOut += frame.byteLength
    await sendFrame(stream, frame, signal)
  }

  /** A user callback must not break the protocol: its errors are logged and ignored. */
  private notify (callback: ((record: ProviderRecord) => void) | undefined, record: ProviderRecord): void {
    try {
      callback?.(record)
    } catch (err) {
      this.log.error('a record callback threw - %e', err)
    }
  }

  /** Counts a protocol violation (not a network failure) and reports the peer that committed it. */
  private countFailure (err: unknown, peer: PeerId): void {
    const name = (err as Error | undefined)?.name ?? ''
    if (PROTOCOL_VIOLATIONS.has(name)) {
      this.counters.rejected++
      this.report(peer, violationOf(name))
    }
  }

  /** Reports a peer breaking a rule to the node. */
  private report (peer: PeerId, kind: FetchViolation): void {
    this.admission.report(peer, kind)
  }
}

/** A copy of `items` in random order (Fisher–Yates), so dynamic querying probes different links each time. */
function shuffle<T> (items: T[]): T[] {
  const shuffled = [...items]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const item = shuffled[i]
    shuffled[i] = shuffled[j]
    shuffled[j] = item
  }
  return shuffled
}
