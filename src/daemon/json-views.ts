import type { DiscoveredFile } from '../discovered-files.ts'
import type { PeerInfo } from '../peer-node-types.ts'

// What `--json` prints for the RPC answers it does not print as they are. The
// CLI and the web UI's HTTP API both go through these, so `peerit list peers
// --json` and `GET /api/peers` can never drift apart.

/** A shared file as the `sharedFiles` RPC answers it. */
export interface SharedFileRow { id: string, name: string, size: number, type: string, path: string }

/** `list peers --json` / `GET /api/peers`. */
export function peersJson (peers: PeerInfo[]): unknown[] {
  return peers.map(p => ({ ...p, connectedSince: p.connectedSince ?? null }))
}

/** `list shared --json` / `GET /api/shared`. */
export function sharedJson (files: SharedFileRow[]): unknown[] {
  return files.map(f => ({ id: f.id, name: f.name, size: f.size, type: f.type }))
}

/** `share --json` / `POST /api/share`. */
export function shareJson (file: { id: string, name: string, size: number }): unknown {
  return { id: file.id, name: file.name, size: file.size }
}

/** `sync --json` / `POST /api/sync`. */
export function syncJson (result: { added: number, updated: number, removed: number, total: number }): unknown {
  return { added: result.added, updated: result.updated, removed: result.removed, total: result.total }
}

/** `search --json`, `list files --json` / `GET /api/search`. */
export function discoveredJson (files: DiscoveredFile[]): unknown[] {
  return files.map(f => ({
    id: f.id,
    name: f.name,
    size: f.size,
    type: f.type,
    providers: f.providers.map(p => ({ peerId: p.peerId, addresses: p.addresses }))
  }))
}

/**
 * `download --json` (one element) / `POST /api/download`: a finished download
 * as `{ id, name, path, size, providers }`; a detached one (`{ contentId,
 * name, status }`) as it is.
 */
export function downloadJson (result: { contentId: string, name: string, path?: string, size?: number, providers?: string[], status?: string }): unknown {
  if (result.status != null) {
    return result
  }
  return { id: result.contentId, name: result.name, path: result.path, size: result.size, providers: result.providers }
}
