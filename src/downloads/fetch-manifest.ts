import type { Manifest, PeeritFile } from '../../protocols/file/index.ts'
import type { ProviderPool } from './provider-pool.ts'
import type { Logger } from '@libp2p/interface'

/** What {@link fetchManifest} needs. */
export interface FetchManifestInit {
  contentId: string
  file: PeeritFile
  pool: ProviderPool
  timeoutMs: number
  log: Logger
}

/**
 * Asks providers in turn for the manifest of a content id. `getManifest`
 * checks it against the id, so a provider whose manifest does not hash to the
 * id forged it: it is banned and the next one is asked. Rounds and their
 * bound are the pool's (throws NoProvidersError).
 */
export async function fetchManifest (init: FetchManifestInit, signal: AbortSignal): Promise<Manifest> {
  const { contentId, file, pool, timeoutMs, log } = init
  for (;;) {
    for (const provider of await pool.nextRound(false, signal)) {
      try {
        return await file.getManifest(provider.peerId, contentId, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) })
      } catch (err) {
        signal.throwIfAborted()
        log('no manifest of %s from %s - %e', contentId, provider.id, err)
        if ((err as Error).name === 'InvalidManifestError') {
          pool.ban(provider.id)
        } else {
          pool.strike(provider.id, err as Error)
        }
      }
    }
  }
}
