import { MAX_RATE_LIMIT, MIN_RATE_LIMIT } from '../config.ts'
import { InvalidParamsError } from '../errors.ts'
import type { DownloadSelector } from '../downloads/index.ts'
import type { RpcHandler } from '../ipc/server.ts'
import type { PeerNode, TransferLimits } from '../peer-node.ts'

/** What the daemon adds to `node.status()`. */
export interface DaemonInfo {
  pid: number
  /** Asks the daemon to stop once the current response is sent. */
  requestStop: () => void
  /** Keeps changed rates for the next start (the daemon writes them to the config file). */
  saveLimits?: (limits: TransferLimits) => Promise<void>
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
    download: async (params, { signal, progress }) => {
      const target = requiredString(params, 'target')
      const from = optionalStrings(params, 'from')
      const byId = optionalBoolean(params, 'byId')
      if (optionalBoolean(params, 'detach') === true) {
        return node.startDownload(target, { from, byId })
      }
      return node.downloadFile(target, { from, byId, signal, onProgress: progress })
    },
    downloads: async (params) => optionalBoolean(params, 'clear') === true ? node.clearDownloads() : node.downloads(),
    pause: async (params) => node.pause(selector(params)),
    resume: async (params) => node.resume(selector(params)),
    cancel: async (params) => node.cancel(selector(params)),
    limits: async (params) => {
      const uploadBytesPerSecond = optionalRate(params, 'uploadBytesPerSecond')
      const downloadBytesPerSecond = optionalRate(params, 'downloadBytesPerSecond')
      if (uploadBytesPerSecond == null && downloadBytesPerSecond == null) {
        return node.limits()
      }
      const limits = node.setLimits({ uploadBytesPerSecond, downloadBytesPerSecond })
      await daemon.saveLimits?.(limits)
      return limits
    }
  }
}

/** The downloads pause, resume and cancel act on: `targets`, or `all`. */
function selector (params: Record<string, unknown>): DownloadSelector {
  const targets = optionalStrings(params, 'targets')
  const all = optionalBoolean(params, 'all') === true
  if (!all && (targets == null || targets.length === 0)) {
    throw new InvalidParamsError('give targets (download names or content-id prefixes) or all: true')
  }
  return { targets, all }
}

/** A byte rate: 0 (unlimited) or within the bounds the config file accepts. */
function optionalRate (params: Record<string, unknown>, key: string): number | undefined {
  const value = params[key]
  if (value == null) {
    return undefined
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || (value !== 0 && (value < MIN_RATE_LIMIT || value > MAX_RATE_LIMIT))) {
    throw new InvalidParamsError(`${key} must be 0 (unlimited) or an integer from ${MIN_RATE_LIMIT} to ${MAX_RATE_LIMIT} bytes per second`)
  }
  return value
}

function optionalBoolean (params: Record<string, unknown>, key: string): boolean | undefined {
  const value = params[key]
  if (value != null && typeof value !== 'boolean') {
    throw new InvalidParamsError(`${key} must be true or false`)
  }
  return value ?? undefined
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
