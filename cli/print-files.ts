import { discoveredJson } from '../src/daemon/json-views.ts'
import { formatBytes, printJson, printTable } from './output.ts'
import type { DiscoveredFile } from '../src/discovered-files.ts'

/** Prints discovered files: the `list files` / `search` JSON contract, or a table. */
export function printDiscoveredFiles (files: DiscoveredFile[], json: boolean, empty: string): void {
  if (json) {
    printJson(discoveredJson(files))
    return
  }
  printTable(['ID', 'SIZE', 'TYPE', 'PEERS', 'NAME'], files.map(f => [
    f.id.slice(0, 12), formatBytes(f.size), f.type, String(f.providers.length), f.name
  ]), empty)
}
