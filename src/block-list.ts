import type { Section } from './store.ts'

/** A peer the owner blocked with `peerit block`. */
export interface BlockedPeer {
  peerId: string
  /** When it was blocked, ms since the epoch. */
  blockedAt: number
}

/** Init for {@link BlockList}. */
export interface BlockListInit {
  section: Section<BlockedPeer>
}

/**
 * The peers the owner refuses to talk to, persisted in the store and kept in
 * memory: libp2p's connection gater asks {@link has} on every dial and every
 * inbound handshake, so it must answer without touching the disk. Unlike a
 * ban (src/peer-guard.ts) a block never expires and does not depend on what
 * the peer did: it is how `disconnect` sticks against a peer that keeps
 * dialling back because it has us as a contact.
 */
export class BlockList {
  private readonly section: Section<BlockedPeer>
  private readonly blocked = new Map<string, BlockedPeer>()

  constructor (init: BlockListInit) {
    this.section = init.section
  }

  /** Loads the persisted block list. */
  async load (): Promise<void> {
    for await (const [peerId, entry] of this.section.iterator()) {
      if (typeof entry?.blockedAt === 'number') {
        this.blocked.set(peerId, { peerId, blockedAt: entry.blockedAt })
      }
    }
  }

  /** Whether a peer (its id as a string) is blocked. */
  has (peerId: string): boolean {
    return this.blocked.has(peerId)
  }

  /** The blocked peers, oldest block first. */
  list (): BlockedPeer[] {
    return [...this.blocked.values()].sort((a, b) => a.blockedAt - b.blockedAt)
  }

  /** Blocks a peer (already blocked: unchanged); returns its entry. */
  async add (peerId: string): Promise<BlockedPeer> {
    const existing = this.blocked.get(peerId)
    if (existing != null) {
      return existing
    }
    const entry = { peerId, blockedAt: Date.now() }
    await this.section.put(peerId, entry)
    this.blocked.set(peerId, entry)
    return entry
  }

  /** Unblocks a peer; false when it was not blocked. */
  async remove (peerId: string): Promise<boolean> {
    if (!this.blocked.has(peerId)) {
      return false
    }
    await this.section.del(peerId)
    this.blocked.delete(peerId)
    return true
  }
}
