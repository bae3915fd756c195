import { formatBytes, printJson, printTable } from './output.ts'
import type { DiscoveredFile } from '../src/discovered-files.ts'

/** Prints discovered files: the `list files` / `search` JSON contract, or a table. */
export function printDiscoveredFiles (files: DiscoveredFile[], json: boolean, empty: string): void {
  if (json) {
    printJson(files.map(f => ({
      id: f.id,
      name: f.name,
      size: f.size,
      type: f.type,
      providers: f.providers.map(p => ({ peerId: p.peerId, addresses: p.addresses }))
    })))
    return
  }
  printTable(['ID', 'SIZE', 'TYPE', 'PEERS', 'NAME'], files.map(f => [
    f.id.slice(0, 12), formatBytes(f.size), f.type, String(f.providers.length), f.name
  ]), empty)
}
