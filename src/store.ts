import { Level } from 'level'
import type { AbstractSublevel } from 'abstract-level'

/**
 * A typed key/value section of the store. Each section is a LevelDB sublevel
 * whose values are JSON; modules get the section they own and never see the
 * key layout of the others.
 */
export type Section<V> = AbstractSublevel<Level<string, unknown>, string | Buffer | Uint8Array, string, V>

/** The names of the store's sections: the only place the key layout is decided. */
export const SECTIONS = {
  contacts: 'contacts',
  sharedIndex: 'shared',
  discoveredFiles: 'discovered',
  downloads: 'downloads',
  downloadedFiles: 'downloaded',
  blocked: 'blocked'
} as const

/**
 * The node's persistent state: one LevelDB database in the state folder,
 * split into sections (sublevels) by owner.
 */
export class Store {
  readonly db: Level<string, unknown>

  constructor (location: string) {
    this.db = new Level<string, unknown>(location, { valueEncoding: 'json' })
  }

  async open (): Promise<void> {
    await this.db.open()
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** A JSON-valued section of the store, by its name in {@link SECTIONS}. */
  section<V> (name: keyof typeof SECTIONS): Section<V> {
    return this.db.sublevel<string, V>(SECTIONS[name], { valueEncoding: 'json' }) as unknown as Section<V>
  }
}
