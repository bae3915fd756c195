import { listFolder, sha256File } from '../fixtures/chaos.ts'
import { verifyDownload } from './actions.ts'
import { failureReason, pause } from './context.ts'
import { checkSurvivors } from './disruptions.ts'
import type { ChaosContext } from './context.ts'
import type { ChaosPeer } from './peer.ts'

/** The suffix of a download still in progress (src/downloads/part-file.ts). */
const PART_SUFFIX = '.part'

/**
 * Asks every peer that is up (and not being restarted) for its `status`: it
 * must answer within the bound, and its contacts must not have dropped below
 * their floor. A peer that went down during the question is not held to it.
 */
export async function probeStatus (ctx: ChaosContext): Promise<void> {
  const { ledger, options } = ctx
  await Promise.all(ctx.network.peers.filter(peer => peer.up && !peer.busy).map(async peer => {
    const epoch = peer.epoch
    const result = await peer.status(options.statusBoundMs + 5_000)
    if (peer.epoch !== epoch || peer.busy) {
      return
    }
    ledger.max('statusMaxMs', result.ms)
    ledger.check('statusAnswers', result.code === 0 && result.json?.running === true && result.ms <= options.statusBoundMs,
      () => `${peer.label}: status ${result.code === 0 ? `took ${result.ms} ms` : `failed: ${failureReason(result)}`}`)
    if (typeof result.json?.contacts === 'number') {
      ledger.check('contactsSurvive', result.json.contacts >= peer.contactsFloor,
        () => `${peer.label}: ${String(result.json.contacts)} contacts, at least ${peer.contactsFloor} expected`)
    }
  }))
}

/**
 * Watches the download folders: every file under a final name (not `.part`)
 * must hash to one of the shared sources from the moment it appears, since a
 * part file is only given its name once every piece is verified. Each version
 * of a file (inode, size, mtime) is hashed once.
 */
export class DownloadFolderWatch {
  private readonly ctx: ChaosContext
  private readonly checked = new Set<string>()

  constructor (ctx: ChaosContext) {
    this.ctx = ctx
  }

  /** Looks at every download folder once; returns the `.part` files seen. */
  async scan (): Promise<string[]> {
    const parts: string[] = []
    for (const peer of this.ctx.network.peers) {
      for (const entry of await listFolder(peer.dir.downloadDir)) {
        if (entry.name.endsWith(PART_SUFFIX)) {
          parts.push(entry.path)
          continue
        }
        if (this.checked.has(entry.key)) {
          continue
        }
        this.checked.add(entry.key)
        const hash = await sha256File(entry.path).catch(() => undefined)
        this.ctx.ledger.count('downloadFolderFilesChecked')
        this.ctx.ledger.check('noUnverifiedFiles', hash != null && this.ctx.network.sourceHashes.has(hash),
          () => `${peer.label}: ${entry.name} (${entry.size} bytes) hashes to ${hash ?? '(unreadable)'}, no shared source does`)
      }
    }
    return parts
  }
}

/**
 * The end of the run: every peer's `downloads` list must empty. Downloads
 * interrupted by a crash of the downloader resume when it restarts; those left
 * `interrupted` (their providers were down) are resumed with
 * `download --resume`, again until the deadline. Whatever completes is
 * checked against its source.
 */
export async function drainDownloads (ctx: ChaosContext): Promise<void> {
  const { ledger, options } = ctx
  const deadline = Date.now() + options.resumeTimeoutMs
  await Promise.all(ctx.network.peers.map(async peer => {
    let left: Array<{ name: string, status: string, error?: string }> = []
    let listed = false
    while (Date.now() < deadline) {
      const result = await peer.cli(['downloads'], 30_000)
      listed = Array.isArray(result.json)
      // Completed and cancelled downloads stay listed as history: only the others are left to drain.
      left = listed ? result.json.filter((download: { status: string }) => download.status !== 'completed' && download.status !== 'cancelled') : []
      if (listed && left.length === 0) {
        break
      }
      if (listed && left.every(download => download.status !== 'active')) {
        await resume(ctx, peer, deadline)
      }
      await pause(1_000)
    }
    ledger.check('downloadsResume', listed && left.length === 0,
      () => `${peer.label}: ${listed ? left.map(d => `${d.name} ${d.status}${d.error == null ? '' : ` (${d.error})`}`).join(', ') : 'downloads did not answer'} at the deadline`)
  }))
}

async function resume (ctx: ChaosContext, peer: ChaosPeer, deadline: number): Promise<void> {
  ctx.ledger.count('resumeCommands')
  const result = await peer.cli(['download', '--resume'], Math.max(10_000, deadline - Date.now()))
  if (!Array.isArray(result.json)) {
    ctx.ledger.count('resumeCommandsFailed')
    return
  }
  for (const done of result.json as Array<{ id: string, path: string }>) {
    ctx.ledger.count('downloadsResumedByCommand')
    await verifyDownload(ctx, peer, ctx.network.byContentId.get(done.id), done.path)
  }
}

/** The last look: every peer answers `status`, kept its contacts and shared ids, and the folders hold only verified files. */
export async function finalChecks (ctx: ChaosContext, watch: DownloadFolderWatch): Promise<void> {
  await probeStatus(ctx)
  for (const peer of ctx.network.peers) {
    await checkSurvivors(ctx, peer)
  }
  const parts = await watch.scan()
  // A part file nothing refers to any more (a crash between creating it and recording it) is a leak, not a corruption: counted.
  ctx.ledger.count('partFilesLeftAtEnd', parts.length)
}
