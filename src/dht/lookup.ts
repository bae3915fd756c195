/**
 * Bounded DHT lookups. A DHT peer may answer with garbage, with thousands of
 * providers, or never: each lookup here stops at a cap, at a deadline and at
 * the caller's signal, whichever comes first, and keeps at most
 * {@link MAX_ADDRESSES_PER_PEER} addresses of any peer.
 */
import { MAX_ADDRESSES_PER_PEER } from './address-scope.ts'
import { contentIdToCid } from './content-key.ts'
import type { PeerId, PeerInfo } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'

/** Providers considered per content id: kad-dht's K, so bogus ones cannot crowd out work. */
export const MAX_PROVIDERS = 20

/** A lookup gives up after this long (kad-dht's own default is 3 minutes). */
export const LOOKUP_TIMEOUT_MS = 30_000

/**
 * After the first provider, wait this long for others so a download can draw
 * from several; short, since it delays the first byte (later provider rounds
 * of a download look again).
 */
export const PROVIDER_SETTLE_MS = 300

/**
 * A provider lookup that found no one is tried again this many times in all
 * (within the one deadline): on a busy network a query can end early because
 * every peer it asked timed out.
 */
export const PROVIDER_LOOKUP_ATTEMPTS = 3

/** Options of the lookups. */
export interface LookupOptions {
  signal?: AbortSignal
  timeoutMs?: number
}

/** Options of {@link findContentProviders}. */
export interface FindProvidersOptions extends LookupOptions {
  /** At most this many providers (default {@link MAX_PROVIDERS}). */
  max?: number
  /** Stop this long after the first provider (default {@link PROVIDER_SETTLE_MS}). */
  settleMs?: number
  /** Providers to leave out (this node). */
  exclude?: PeerId
}

/**
 * The providers of a content id the DHT knows, at most `max`, each with its
 * addresses as the DHT gave them. An empty list when none answered in time;
 * throws only when the caller's own signal aborts.
 */
export async function findContentProviders (dht: KadDHT, contentId: string, options: FindProvidersOptions = {}): Promise<PeerInfo[]> {
  const deadline = Date.now() + (options.timeoutMs ?? LOOKUP_TIMEOUT_MS)
  for (let attempt = 1; ; attempt++) {
    const found = await findProvidersOnce(dht, contentId, { ...options, timeoutMs: Math.max(0, deadline - Date.now()) })
    if (found.length > 0 || attempt >= PROVIDER_LOOKUP_ATTEMPTS || Date.now() >= deadline) {
      return found
    }
  }
}

async function findProvidersOnce (dht: KadDHT, contentId: string, options: FindProvidersOptions): Promise<PeerInfo[]> {
  const max = options.max ?? MAX_PROVIDERS
  const found = new Map<string, PeerInfo>()
  const stop = new AbortController()
  const signal = lookupSignal(stop.signal, options)
  let settle: ReturnType<typeof setTimeout> | undefined
  try {
    for await (const event of dht.findProviders(contentIdToCid(contentId), { signal })) {
      if (event.name !== 'PROVIDER') {
        continue
      }
      for (const provider of event.providers) {
        const id = provider.id.toString()
        if (found.size >= max || found.has(id) || options.exclude?.equals(provider.id) === true) {
          continue
        }
        found.set(id, { id: provider.id, multiaddrs: provider.multiaddrs.slice(0, MAX_ADDRESSES_PER_PEER) })
      }
      if (found.size >= max) {
        break
      }
      if (found.size > 0 && settle == null) {
        settle = setTimeout(() => { stop.abort() }, options.settleMs ?? PROVIDER_SETTLE_MS)
      }
    }
  } catch (err) {
    options.signal?.throwIfAborted()
    if (!signal.aborted) {
      throw err
    }
  } finally {
    clearTimeout(settle)
  }
  return [...found.values()]
}

/**
 * A peer's addresses as the DHT knows them now, asking the network rather
 * than the local address book (whose addresses are the ones that failed).
 * An empty list when the peer was not found in time.
 */
export async function findPeerAddresses (dht: KadDHT, peerId: PeerId, options: LookupOptions = {}): Promise<PeerInfo['multiaddrs']> {
  const stop = new AbortController()
  const signal = lookupSignal(stop.signal, options)
  try {
    for await (const event of dht.findPeer(peerId, { signal, useCache: false })) {
      if (event.name === 'FINAL_PEER' && event.peer.id.equals(peerId) && event.peer.multiaddrs.length > 0) {
        stop.abort()
        return event.peer.multiaddrs.slice(0, MAX_ADDRESSES_PER_PEER)
      }
    }
  } catch (err) {
    options.signal?.throwIfAborted()
    if (!signal.aborted && (err as Error).name !== 'NotFoundError') {
      throw err
    }
  }
  return []
}

function lookupSignal (stop: AbortSignal, options: LookupOptions): AbortSignal {
  const signals = [stop, AbortSignal.timeout(options.timeoutMs ?? LOOKUP_TIMEOUT_MS)]
  if (options.signal != null) {
    signals.push(options.signal)
  }
  return AbortSignal.any(signals)
}
