import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { backoff } from './timing.ts'
import type { PeerUrl } from './peer-url.ts'
import type { Section } from './store.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId } from '@libp2p/interface'

/** The multicodec of `/p2p/<id>`. */
export const P2P_CODE = 421

/** A peer the owner asked to stay connected to, by config or `peerit connect`. */
export interface Contact {
  /** The dialable address without `/p2p/…`: the contact's key. */
  address: string
  /** Learnt on the first successful dial (or given in the url). */
  peerId?: string
  addedAt: number
  source: 'config' | 'user'
}

/** Retry delays: 1 s doubling to 60 s, so a peer that is down costs one dial a minute. */
const BACKOFF_MIN_MS = 1000
const BACKOFF_MAX_MS = 60_000
const DIAL_TIMEOUT_MS = 10_000

interface RedialState {
  attempts: number
  timer?: ReturnType<typeof setTimeout>
}

/** Init for {@link Contacts}. */
export interface ContactsInit {
  section: Section<Contact>
  libp2p: Libp2p
  logger: ComponentLogger
  /** Finds a peer's current addresses (the DHT); true when it learnt some. Tried when a contact's address fails. */
  lookUp?: (peerId: string, signal: AbortSignal) => Promise<boolean>
}

/**
 * The persisted contact list, and the loop that keeps every contact
 * connected: dial at start, redial with exponential backoff while a contact
 * is down, and again soon after a connection drops.
 */
export class Contacts {
  private readonly section: Section<Contact>
  private readonly libp2p: Libp2p
  private readonly log: Logger
  private readonly lookUp?: ContactsInit['lookUp']
  private readonly contacts = new Map<string, Contact>()
  private readonly redials = new Map<string, RedialState>()
  private running = false

  constructor (init: ContactsInit) {
    this.section = init.section
    this.libp2p = init.libp2p
    this.log = init.logger.forComponent('peerit:contacts')
    this.lookUp = init.lookUp
    this.onDisconnect = this.onDisconnect.bind(this)
  }

  /** Loads the persisted contacts. */
  async load (): Promise<void> {
    for await (const [key, contact] of this.section.iterator()) {
      this.contacts.set(key, contact)
    }
  }

  /**
   * Starts keeping every contact connected; resolves once each contact's
   * first dial has succeeded or failed (failures go on with backoff).
   */
  async start (): Promise<void> {
    this.running = true
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    await Promise.all([...this.contacts.keys()].map(async address => {
      this.redials.set(address, { attempts: 0 })
      await this.redial(address)
    }))
  }

  /** Stops redialling; contacts stay persisted. */
  stop (): void {
    this.running = false
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const state of this.redials.values()) {
      clearTimeout(state.timer)
    }
    this.redials.clear()
  }

  /** All contacts. */
  list (): Contact[] {
    return [...this.contacts.values()]
  }

  /** Adds (or updates) a contact and keeps it connected from now on. */
  async add (address: string, peerId: string | undefined, source: Contact['source']): Promise<Contact> {
    const existing = this.contacts.get(address)
    const contact: Contact = {
      address,
      peerId: peerId ?? existing?.peerId,
      addedAt: existing?.addedAt ?? Date.now(),
      // A contact the user added by hand stays theirs even if the config names it too.
      source: existing?.source === 'user' ? 'user' : source
    }
    this.contacts.set(address, contact)
    await this.section.put(address, contact)
    return contact
  }

  /** Records the peer id learnt by dialling a contact's address. */
  async learnPeerId (address: string, peerId: string): Promise<void> {
    const contact = this.contacts.get(address)
    if (contact != null && contact.peerId !== peerId) {
      contact.peerId = peerId
      await this.section.put(address, contact)
    }
  }

  /** Removes the contacts matching an address or a peer id; returns them. */
  async remove (match: { address?: string, peerId?: string }): Promise<Contact[]> {
    const removed = this.list().filter(c =>
      (match.address != null && c.address === match.address) ||
      (match.peerId != null && c.peerId === match.peerId))
    for (const contact of removed) {
      this.contacts.delete(contact.address)
      clearTimeout(this.redials.get(contact.address)?.timer)
      this.redials.delete(contact.address)
      await this.section.del(contact.address)
    }
    return removed
  }

  /** Whether a contact currently has an open connection. */
  isConnected (contact: Contact): boolean {
    if (contact.peerId == null) {
      return false
    }
    return this.libp2p.getConnections().some(c => c.remotePeer.toString() === contact.peerId)
  }

  private onDisconnect (event: CustomEvent<PeerId>): void {
    const peerId = event.detail.toString()
    for (const contact of this.contacts.values()) {
      if (contact.peerId === peerId) {
        this.schedule(contact.address, BACKOFF_MIN_MS)
      }
    }
  }

  /** A contact whose address failed, looked up by peer id (the peer may have moved); rethrows `err` when that fails too. */
  private async dialByLookup (contact: Contact, err: Error): Promise<Connection> {
    if (contact.peerId == null || this.lookUp == null) {
      throw err
    }
    const peerId = peerIdFromString(contact.peerId)
    if (!await this.lookUp(contact.peerId, AbortSignal.timeout(DIAL_TIMEOUT_MS)).catch(() => false)) {
      throw err
    }
    this.log('contact %s moved: dialling the addresses the DHT gave', contact.address)
    return this.libp2p.dial(peerId, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
  }

  private schedule (address: string, delayMs: number): void {
    if (!this.running) {
      return
    }
    const state = this.redials.get(address) ?? { attempts: 0 }
    clearTimeout(state.timer)
    state.timer = setTimeout(() => { void this.redial(address) }, delayMs)
    state.timer.unref()
    this.redials.set(address, state)
  }

  private async redial (address: string): Promise<void> {
    const contact = this.contacts.get(address)
    const state = this.redials.get(address)
    if (contact == null || state == null || !this.running) {
      return
    }
    if (this.isConnected(contact)) {
      state.attempts = 0
      return
    }
    try {
      const target = multiaddr(contact.peerId == null ? address : `${address}/p2p/${contact.peerId}`)
      const connection = await this.libp2p.dial(target, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })
        .catch(async (err: Error) => this.dialByLookup(contact, err))
      state.attempts = 0
      await this.learnPeerId(address, connection.remotePeer.toString())
      this.log('connected to contact %s', address)
    } catch (err: any) {
      state.attempts++
      // Jitter keeps a whole network that lost one peer from redialling it in lockstep.
      const delay = backoff(state.attempts, BACKOFF_MIN_MS, BACKOFF_MAX_MS) * (0.75 + Math.random() * 0.5)
      this.log('dial of contact %s failed (attempt %d, next in %d ms) - %e', address, state.attempts, Math.round(delay), err)
      this.schedule(address, delay)
    }
  }
}

/** A contact's key: the url's multiaddr without its `/p2p/…` part. */
export function contactAddress (peer: PeerUrl): string {
  return peer.multiaddr.decapsulateCode(P2P_CODE).toString()
}
