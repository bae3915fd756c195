import { watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import { loadConfig } from '../config.ts'
import type { PeerConfig } from '../config.ts'
import type { PeerNode } from '../peer-node.ts'
import type { FSWatcher } from 'node:fs'

/** Quiet time after the last change before the file is read again: editors write in several steps. */
const DEBOUNCE_MS = 200

/** What {@link watchConfig} calls. */
export interface ConfigWatchInit {
  configPath: string
  /** The file changed and is valid. */
  onChange: (config: PeerConfig) => void
  /** The file changed and is not valid: the running node keeps what it had. */
  onError: (err: Error) => void
}

/**
 * Follows a running node's config file, so keys that can change at run time
 * (`share_downloads`, the total rates) take effect as soon as the file is
 * saved. The folder is watched, not the file: editors and atomic writers
 * replace the file, which a watch on the old one would miss.
 */
export function watchConfig (init: ConfigWatchInit): { close: () => void } {
  const name = basename(init.configPath)
  let timer: ReturnType<typeof setTimeout> | undefined
  let watcher: FSWatcher | undefined
  const reload = (): void => {
    loadConfig(init.configPath).then(({ config }) => { init.onChange(config) }, init.onError)
  }
  try {
    watcher = watch(dirname(init.configPath), (_event, file) => {
      if (file === name) {
        clearTimeout(timer)
        timer = setTimeout(reload, DEBOUNCE_MS)
      }
    })
    watcher.on('error', init.onError)
  } catch (err) {
    init.onError(err as Error)
  }
  return {
    close: () => {
      clearTimeout(timer)
      watcher?.close()
    }
  }
}

/**
 * Applies what can change at run time whenever the config file is saved:
 * `share_downloads` and the total rates (`limits.upload_bytes_per_second`,
 * `limits.download_bytes_per_second`). Everything else needs a restart.
 */
export function followConfig (node: PeerNode, config: PeerConfig, log: (line: string) => void): { close: () => void } {
  let applied = config
  return watchConfig({
    configPath: config.configPath,
    onChange: (changed) => {
      if (changed.shareDownloads !== applied.shareDownloads) {
        node.setShareDownloads(changed.shareDownloads)
        log(`share_downloads is now ${changed.shareDownloads}`)
      }
      const rates = { uploadBytesPerSecond: changed.limits.uploadBytesPerSecond ?? 0, downloadBytesPerSecond: changed.limits.downloadBytesPerSecond ?? 0 }
      const current = node.limits()
      if (rates.uploadBytesPerSecond !== current.uploadBytesPerSecond || rates.downloadBytesPerSecond !== current.downloadBytesPerSecond) {
        node.setLimits(rates)
        log(`limits now upload ${rates.uploadBytesPerSecond} B/s, download ${rates.downloadBytesPerSecond} B/s (0 = unlimited)`)
      }
      applied = changed
    },
    onError: (err) => { log(`warning: ${config.configPath} changed but was not applied: ${err.message}`) }
  })
}
