import { downloadJson } from '../../src/daemon/json-views.ts'
import { withDaemon } from '../context.ts'
import { EXIT_CODES, exitCodeFor, formatBytes, printJson, printLines, reportError, style, UsageError } from '../output.ts'
import { DownloadBars } from '../progress.ts'
import type { CallOptions, IpcClient } from '../../src/ipc/client.ts'
import type { GlobalOptions } from '../context.ts'
import type { DownloadEntryView } from '../downloads-view.ts'
import type { DownloadProgressView } from '../progress.ts'
import type { Argv } from 'yargs'

interface DownloadArgs extends GlobalOptions {
  target: string[]
  id?: string[]
  peer?: string
  resume: boolean
  detach: boolean
}

/** What the daemon answers for one download. */
interface DownloadResultView { contentId: string, name: string, path: string, size: number, providers: string[], alreadyShared?: boolean }

/** What a detached download answers: queued in the daemon. */
interface DownloadChangeView { contentId: string, name: string, status: string }

/** One target asked for: its name or id, and whether the daemon takes it as an id only. */
interface Target { target: string, byId: boolean }

/** A target that did not download, with why. */
interface TargetFailure { target: string, error: { code?: string, message: string, candidates?: unknown[] } }

/** A download that makes no progress for this long is reported as failed (the daemon keeps its state). */
const IDLE_TIMEOUT_MS = 120_000

/** The exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells expect. */
const INTERRUPTED_EXIT_CODE = 130

export const command = 'download [target..]'
export const describe = 'Download files by name, by id (-i), by peerit: link, or from one peer (-p); --detach to queue'

export function builder (y: Argv<GlobalOptions>): Argv<DownloadArgs> {
  return y
    .positional('target', { type: 'string', array: true, default: [], describe: 'a file name, id or peerit: link' })
    .option('id', { alias: 'i', type: 'string', array: true, describe: 'content ids or unique id prefixes (4 characters or more); a full id needs no fetch (the DHT finds it)' })
    .option('peer', { alias: 'p', type: 'string', describe: 'download only from this peer: a full peer id or a unique prefix of a known one' })
    .option('resume', { type: 'boolean', default: false, describe: 'resume every paused, interrupted or failed download and wait for them' })
    .option('detach', { type: 'boolean', default: false, describe: 'queue the downloads in the daemon and return at once' })
    .check((argv) => {
      const count = (argv.target as string[]).length + ((argv.id as string[] | undefined)?.length ?? 0)
      if (!(argv.resume as boolean) && count === 0) {
        throw new UsageError('name a file, give -i <id>…, or --resume')
      }
      return true
    })
    .example('$0 download song.mp3', 'the file of that name')
    .example('$0 download -i 3fa9c2 b71e04', 'two files by id prefix')
    .example('$0 download \'peerit:3fa9…?name=a.pdf&size=1024\'', 'a link, with no fetch first')
    .example('$0 download -p 12D3KooW… report.pdf', 'only from that peer')
    .example('$0 download --detach film.mkv', 'queue it; follow it with `peerit downloads --watch`')
    .example('$0 download --resume', 'everything stopped')
    .epilogue('Ctrl-C pauses the downloads (resume them with `peerit resume`); it never half-cancels them.') as unknown as Argv<DownloadArgs>
}

export async function handler (argv: DownloadArgs): Promise<void> {
  const targets: Target[] = [
    ...argv.target.map(target => ({ target: String(target), byId: false })),
    ...(argv.id ?? []).map(target => ({ target: String(target), byId: true }))
  ]
  await checkLinks(targets.map(t => t.target))
  const from = argv.peer == null ? undefined : [String(argv.peer)]
  if (argv.detach) {
    await detach(argv, targets, from)
    return
  }
  const bars = await DownloadBars.create(argv.json !== true)
  const seen = new Map<string, string>()
  const onProgress = (progress: DownloadProgressView): void => {
    seen.set(progress.contentId, progress.name)
    bars.update(progress)
  }
  const options = { timeoutMs: IDLE_TIMEOUT_MS, onProgress }
  const interrupted = Promise.withResolvers<never>()
  const onInterrupt = (): void => { interrupted.reject(new Interrupted()) }
  process.once('SIGINT', onInterrupt)
  let outcome: Outcome
  try {
    // One connection carries every request: `-i` with thousands of ids must not open thousands of sockets.
    outcome = await withDaemon(argv, async client => Promise.race([
      argv.resume ? resumeAll(client, options) : downloadEach(client, targets, from, options),
      interrupted.promise
    ]))
  } catch (err) {
    if (!(err instanceof Interrupted)) {
      throw err
    }
    bars.stop()
    await pauseSeen(argv, seen)
    return
  } finally {
    process.off('SIGINT', onInterrupt)
    bars.stop()
  }
  report(argv, outcome)
}

/** Raised by Ctrl-C while downloads are followed. */
class Interrupted extends Error {}

/** Every target's result or failure. */
interface Outcome { results: DownloadResultView[], failures: TargetFailure[] }

/** Downloads each target on its own: one that fails does not stop the others. */
async function downloadEach (client: IpcClient, targets: Target[], from: string[] | undefined, options: CallOptions): Promise<Outcome> {
  const settled = await Promise.allSettled(targets.map(async ({ target, byId }) =>
    client.call<DownloadResultView>('download', { target, from, ...(byId ? { byId } : {}) }, options)))
  return collect(settled, targets.map(t => t.target))
}

/** Resumes every stopped download in the daemon, then follows each, and those already running, to its end. */
async function resumeAll (client: IpcClient, options: CallOptions): Promise<Outcome> {
  const resumed = new Set((await client.call<DownloadChangeView[]>('resume', { all: true })).map(d => d.contentId))
  // A small download may already be over by now: follow what was resumed
  // whatever its status, and whatever else is still running.
  const followed = (await client.call<DownloadEntryView[]>('downloads'))
    .filter(d => resumed.has(d.contentId) || d.status === 'queued' || d.status === 'active')
  const settled = await Promise.allSettled(followed.map(async (entry) => {
    if (entry.status === 'completed' && entry.path != null) {
      return { contentId: entry.contentId, name: entry.name, path: entry.path, size: entry.size, providers: [] }
    }
    if (entry.status === 'failed') {
      throw new Error(entry.error ?? 'the download failed')
    }
    return await client.call<DownloadResultView>('download', { target: entry.contentId, byId: true }, options)
  }))
  return collect(settled, followed.map(r => r.name))
}

function collect<T> (settled: Array<PromiseSettledResult<T>>, targets: string[]): { results: T[], failures: TargetFailure[] } {
  const outcome: { results: T[], failures: TargetFailure[] } = { results: [], failures: [] }
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') {
      outcome.results.push(result.value)
    } else {
      const err = result.reason
      const candidates = err?.candidates ?? err?.data?.candidates
      outcome.failures.push({
        target: targets[i],
        error: { code: err?.code, message: typeof err?.message === 'string' ? err.message : String(err), ...(Array.isArray(candidates) ? { candidates } : {}) }
      })
    }
  })
  return outcome
}

/** Prints what completed and what failed; the exit code says whether some failed. */
function report (argv: DownloadArgs, { results, failures }: Outcome): void {
  if (argv.json === true) {
    printJson([
      ...results.map(downloadJson),
      ...failures.map(f => ({ target: f.target, error: f.error }))
    ])
  } else {
    if (results.length === 0 && failures.length === 0) {
      printLines('Nothing to resume.')
    }
    for (const r of results) {
      printLines(r.alreadyShared === true
        ? `${style.yellow('already shared')} ${r.name}: it is in your shared folder at ${r.path}`
        : `${style.green('downloaded')} ${r.name} (${formatBytes(r.size)}) ${sources(r)} → ${r.path}`)
    }
  }
  reportFailures(failures, results.length)
}

/** One line per failure (and its candidates) on stderr; the exit code: all failed alike, that failure's (4 unknown, 2 bad input); a mix, 1. */
function reportFailures (failures: TargetFailure[], succeeded: number): void {
  const several = failures.length + succeeded > 1
  for (const failure of failures) {
    // false: under --json the failures are already in the one JSON value.
    reportError({ ...failure.error, message: several ? `${failure.target}: ${failure.error.message}` : failure.error.message }, false)
  }
  if (failures.length > 0) {
    const codes = new Set(failures.map(f => exitCodeFor(f.error)))
    process.exitCode = succeeded === 0 && codes.size === 1 ? [...codes][0] : EXIT_CODES.failed
  }
}

function sources (r: DownloadResultView): string {
  if (r.size === 0) {
    return '(empty, nothing to fetch)'
  }
  return `from ${r.providers.length} peer${r.providers.length === 1 ? '' : 's'}`
}

/** `--detach`: one `download` call per target with `detach`, printed as `[ { contentId, name, status } ]`. */
async function detach (argv: DownloadArgs, targets: Target[], from: string[] | undefined): Promise<void> {
  if (argv.resume) {
    throw new UsageError('--detach queues new downloads; to resume stopped ones in the background use `peerit resume --all`')
  }
  const settled = await withDaemon(argv, async client => Promise.allSettled(targets.map(async ({ target, byId }) =>
    client.call<DownloadChangeView>('download', { target, from, detach: true, ...(byId ? { byId } : {}) }))))
  const { results: queued, failures } = collect(settled, targets.map(t => t.target))
  if (argv.json === true) {
    printJson([...queued, ...failures.map(f => ({ target: f.target, error: f.error }))])
  } else {
    for (const q of queued) {
      printLines(`${q.status === 'completed' ? style.yellow('already have') : style.green(q.status)} ${q.name} (${q.contentId.slice(0, 12)})`)
    }
    if (queued.length > 0) {
      printLines(style.dim('Follow with `peerit downloads --watch`; pause with `peerit pause <name>`.'))
    }
  }
  reportFailures(failures, queued.length)
}

/** Ctrl-C: pauses what was downloading, says so, and exits 130. */
async function pauseSeen (argv: DownloadArgs, seen: Map<string, string>): Promise<void> {
  process.exitCode = INTERRUPTED_EXIT_CODE
  // Hanging up pauses them too (the daemon pauses a download whose last watcher left); asking makes it certain and tells us.
  const targets = [...seen.keys()]
  let paused: DownloadChangeView[] = []
  if (targets.length > 0) {
    paused = await withDaemon(argv, async client => client.call<DownloadChangeView[]>('pause', { targets })).catch(() => [])
  }
  const names = paused.length > 0 ? paused.filter(p => p.status === 'paused').map(p => p.name) : [...seen.values()]
  const message = names.length === 0
    ? 'interrupted; nothing had started downloading'
    : `interrupted: paused ${names.join(', ')} (.part kept)\nresume with \`peerit resume ${names.length === 1 ? names[0] : '--all'}\``
  process.stderr.write(`${message}\n`)
  if (argv.json === true) {
    printJson({ error: { code: 'ERR_INTERRUPTED', message }, paused })
  }
}

/** A bad link is a usage error even before the daemon is asked (the daemon checks again). */
async function checkLinks (targets: string[]): Promise<void> {
  const links = targets.filter(t => t.trim().toLowerCase().startsWith('peerit:'))
  if (links.length === 0) {
    return
  }
  // Loaded only for links: the codec pulls in multiaddr and peer-id parsing.
  const { parseLink } = await import('../../src/link.ts')
  links.forEach(link => { parseLink(link) })
}
