import { withDaemon } from '../context.ts'
import { EXIT_CODES, formatBytes, printJson, printLines, style } from '../output.ts'
import { DownloadBars } from '../progress.ts'
import { downloadJson } from '../../src/daemon/json-views.ts'
import type { CallOptions, IpcClient } from '../../src/ipc/client.ts'
import type { GlobalOptions } from '../context.ts'
import type { DownloadProgressView } from '../progress.ts'
import type { Argv } from 'yargs'

interface DownloadArgs extends GlobalOptions {
  target: string[]
  id?: string[]
  peer?: string
  resume: boolean
}

/** What the daemon answers for one download. */
interface DownloadResultView { contentId: string, name: string, path: string, size: number, providers: string[], alreadyShared?: boolean }

/** A download `--resume` could not complete. */
interface ResumeFailure { contentId: string, name: string, error: string }

/** A download that makes no progress for this long is reported as failed (the daemon keeps its state). */
const IDLE_TIMEOUT_MS = 120_000

export const command = 'download [target..]'
export const describe = 'Download files by name, by id (-i) or from one peer (-p)'

export function builder (y: Argv<GlobalOptions>): Argv<DownloadArgs> {
  return y
    .positional('target', { type: 'string', array: true, default: [], describe: 'a file name (or id)' })
    .option('id', { alias: 'i', type: 'string', array: true, describe: 'content ids or unique id prefixes' })
    .option('peer', { alias: 'p', type: 'string', describe: 'download only from this peer id' })
    .option('resume', { type: 'boolean', default: false, describe: 'resume every interrupted download' })
    .check((argv) => {
      const count = (argv.target as string[]).length + ((argv.id as string[] | undefined)?.length ?? 0)
      if (!(argv.resume as boolean) && count === 0) {
        throw new Error('name a file, give -i <id>…, or --resume')
      }
      return true
    })
    .example('$0 download song.mp3', 'the file of that name')
    .example('$0 download -i 3fa9c2 b71e04', 'two files by id prefix')
    .example('$0 download -p 12D3KooW… report.pdf', 'only from that peer')
    .example('$0 download --resume', 'everything interrupted') as unknown as Argv<DownloadArgs>
}

/** Resumes every stopped download in the daemon, then follows each to its end. */
async function resumeAll (client: IpcClient, options: CallOptions): Promise<{ completed: DownloadResultView[], failed: ResumeFailure[] }> {
  const resumed = await client.call<Array<{ contentId: string, name: string }>>('resume', { all: true })
  const settled = await Promise.allSettled(resumed.map(async ({ contentId }) => client.call<DownloadResultView>('download', { target: contentId }, options)))
  const completed: DownloadResultView[] = []
  const failed: ResumeFailure[] = []
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      completed.push(result.value)
    } else {
      failed.push({ contentId: resumed[i].contentId, name: resumed[i].name, error: result.reason?.message ?? String(result.reason) })
    }
  })
  return { completed, failed }
}

export async function handler (argv: DownloadArgs): Promise<void> {
  const bars = await DownloadBars.create(argv.json !== true)
  const onProgress = (progress: DownloadProgressView): void => { bars.update(progress) }
  const options = { timeoutMs: IDLE_TIMEOUT_MS, onProgress }
  let results: DownloadResultView[]
  let failed: ResumeFailure[] = []
  try {
    if (argv.resume) {
      ({ completed: results, failed } = await withDaemon(argv, async client => resumeAll(client, options)))
    } else {
      const targets = [...argv.target.map(String), ...(argv.id ?? []).map(String)]
      const from = argv.peer == null ? undefined : [argv.peer]
      // One connection carries every request: `-i` with thousands of ids must not open thousands of sockets.
      results = await withDaemon(argv, async client => Promise.all(targets.map(async target =>
        client.call<DownloadResultView>('download', { target, from }, options))))
    }
  } finally {
    bars.stop()
  }
  for (const failure of failed) {
    process.stderr.write(`${style.red('error:', process.stderr)} ${failure.name}: ${failure.error} (still listed in \`peerit downloads\`)\n`)
    process.exitCode = EXIT_CODES.failed
  }
  if (argv.json === true) {
    printJson(results.map(downloadJson))
    return
  }
  if (results.length === 0 && failed.length === 0) {
    printLines('Nothing to resume.')
  }
  for (const r of results) {
    printLines(r.alreadyShared === true
      ? `${style.yellow('already shared')} ${r.name}: it is in your shared folder at ${r.path}`
      : `${style.green('downloaded')} ${r.name} (${formatBytes(r.size)}) from ${r.providers.length} peer${r.providers.length === 1 ? '' : 's'} → ${r.path}`)
  }
}
