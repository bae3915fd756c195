import { readFile, stat } from 'node:fs/promises'
import { replaceFile } from '../replace-file.ts'
import type { TransferLimits } from '../peer-node.ts'

/**
 * Writes the node's total rates into its config file (`limits.upload_bytes_per_second`,
 * `limits.download_bytes_per_second`), so `peerit limits` outlives a restart and
 * the file stays the one place that says what the node does. Every other key is
 * kept as it was; the file is replaced atomically (a crash never leaves half of it).
 */
export async function saveLimits (configPath: string, limits: TransferLimits): Promise<void> {
  const raw = JSON.parse((await readFile(configPath, 'utf8')).replace(/^\uFEFF/, '')) as Record<string, unknown>
  const current = raw.limits != null && typeof raw.limits === 'object' && !Array.isArray(raw.limits) ? raw.limits as Record<string, unknown> : {}
  raw.limits = {
    ...current,
    upload_bytes_per_second: limits.uploadBytesPerSecond,
    download_bytes_per_second: limits.downloadBytesPerSecond
  }
  const { mode } = await stat(configPath)
  await replaceFile(configPath, `${JSON.stringify(raw, null, 2)}\n`, { mode: mode & 0o777 })
}
