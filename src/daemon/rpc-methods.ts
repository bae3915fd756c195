import { InvalidParamsError } from '../errors.ts'
import type { RpcHandler } from '../ipc/server.ts'
import type { PeerNode } from '../peer-node.ts'

/** What the daemon adds to `node.status()`. */
export interface DaemonInfo {
  pid: number
  /** Asks the daemon to stop once the current response is sent. */
  requestStop: () => void
}

/**
 * The daemon's JSON-RPC methods: each checks its params and makes one call
 * on the node. docs/cli.md lists what each returns.
 */
export function rpcMethods (node: PeerNode, daemon: DaemonInfo): Record<string, RpcHandler> {
  return {
    status: async () => ({ running: true, ...node.status(), pid: daemon.pid }),
    stop: async () => {
      setImmediate(daemon.requestStop)
      return { stopping: true, pid: daemon.pid }
    },
    connect: async (params, { signal }) => node.connect(requiredString(params, 'url'), { signal }),
    disconnect: async (params) => node.disconnect(requiredString(params, 'target')),
    peers: async () => node.peers(),
    block: async (params) => node.block(requiredString(params, 'peerId')),
    unblock: async (params) => node.unblock(requiredString(params, 'peerId')),
    blocked: async () => node.blocked(),
    sync: async (_params, { signal }) => node.sync({ signal }),
    share: async (params) => {
      const file = await node.share(requiredString(params, 'path'))
      return { id: file.id, name: file.name, size: file.size, path: file.path }
    },
    sharedFiles: async () => node.sharedFiles().map(f => ({ id: f.id, name: f.name, size: f.size, type: f.type, path: f.relativePath })),
    fetch: async (params, { signal }) => {
      const result = await node.fetch({
        ttl: optionalInteger(params, 'ttl', 1, 255),
        timeoutMs: optionalInteger(params, 'timeoutMs', 1, 600_000),
        query: optionalQuery(params),
        signal
      })
      return { fetchId: result.fetchId, peersReached: result.peersReached, filesDiscovered: countFiles(result.records), durationMs: result.durationMs }
    },
    search: async (params) => node.search({ text: optionalString(params, 'text'), type: optionalString(params, 'type') }, { limit: optionalInteger(params, 'limit', 1, 100_000) }),
    files: async (params) => node.files({ limit: optionalInteger(params, 'limit', 1, 1_000_000), offset: optionalInteger(params, 'offset', 0, Number.MAX_SAFE_INTEGER) }),
    resolveFile: async (params) => node.resolveFile(requiredString(params, 'target'), { from: optionalStrings(params, 'from') }),
    download: async (params, { signal, progress }) => node.downloadFile(requiredString(params, 'target'), {
      from: optionalStrings(params, 'from'),
      signal,
      onProgress: progress
    }),
    downloads: async () => node.downloads(),
    resume: async (_params, { signal, progress }) => node.resumeDownloads({ signal, onProgress: progress })
  }
}

function countFiles (records: Array<{ files: Array<{ id: string }> }>): number {
  const ids = new Set<string>()
  for (const record of records) {
    for (const file of record.files) {
      ids.add(file.id)
    }
  }
  return ids.size
}

function requiredString (params: Record<string, unknown>, key: string): string {
  const value = params[key]
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidParamsError(`${key} must be a non-empty string`)
  }
  return value
}

function optionalString (params: Record<string, unknown>, key: string): string | undefined {
  return params[key] == null ? undefined : requiredString(params, key)
}

function optionalStrings (params: Record<string, unknown>, key: string): string[] | undefined {
  const value = params[key]
  if (value == null) {
    return undefined
  }
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) {
    throw new InvalidParamsError(`${key} must be an array of strings`)
  }
  return value
}

function optionalInteger (params: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = params[key]
  if (value == null) {
    return undefined
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParamsError(`${key} must be an integer from ${min} to ${max}`)
  }
  return value
}

function optionalQuery (params: Record<string, unknown>): { words?: string[], type?: string } | undefined {
  const words = optionalStrings(params, 'words')
  const type = optionalString(params, 'type')
  return words == null && type == null ? undefined : { words, type }
}
