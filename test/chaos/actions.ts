import { sha256File } from '../fixtures/chaos.ts'
import { failureReason } from './context.ts'
import type { SourceFile } from './catalogue.ts'
import type { ChaosContext } from './context.ts'
import type { ChaosPeer } from './peer.ts'
import type { Prng } from './prng.ts'

/** A download may take this long through the CLI before the runner gives up on it (the daemon keeps its state). */
const DOWNLOAD_TIMEOUT_MS = 180_000

/** What a user of the network does, in proportion: mostly downloads, which are what crashes can corrupt. */
export const USER_ACTIONS = { fetch: 3, search: 3, download: 4 } as const

/** One thing a user does on a random peer that is up: a fetch, a search, or a download. */
export async function userAction (ctx: ChaosContext, prng: Prng, chosen?: keyof typeof USER_ACTIONS): Promise<void> {
  const up = ctx.network.upPeers()
  if (up.length === 0) {
    return
  }
  const peer = prng.pick(up)
  const action = chosen ?? prng.weighted(USER_ACTIONS)
  if (action === 'fetch') {
    await fetchFrom(ctx, prng, peer)
  } else if (action === 'search') {
    await search(ctx, prng, peer)
  } else {
    await download(ctx, prng, peer)
  }
}

async function fetchFrom (ctx: ChaosContext, prng: Prng, peer: ChaosPeer): Promise<void> {
  const result = await peer.cli(['fetch', '--ttl', String(prng.int(2, 7)), '--timeout', '10'], 40_000)
  if (result.code === 0) {
    ctx.ledger.count('fetches')
    ctx.ledger.max('fetchMaxPeersReached', result.json.peersReached)
  } else {
    ctx.ledger.count('fetchesFailed')
  }
}

/** A search by a file's word or by kind (now and then flooded through the network first); checks the answers fit the question. */
async function search (ctx: ChaosContext, prng: Prng, peer: ChaosPeer): Promise<void> {
  const file = prng.pick(ctx.network.files)
  const byKind = prng.chance(0.4)
  const args = byKind ? ['search', '-t', file.kind] : ['search', file.word]
  if (prng.chance(0.25)) {
    args.push('--network', '--ttl', '4')
  }
  const result = await peer.cli(args, 40_000)
  if (result.code !== 0 || !Array.isArray(result.json)) {
    ctx.ledger.count('searchesFailed')
    return
  }
  ctx.ledger.count(byKind ? 'searchesByType' : 'searchesByName')
  for (const found of result.json as Array<{ name: string, type: string }>) {
    const fits = byKind ? found.type === file.kind : found.name.toLowerCase().includes(file.word)
    ctx.ledger.check('searchMatches', fits, () => `${peer.label}: \`${args.join(' ')}\` answered ${found.name} (${found.type})`)
  }
}

/** How a download names its file: by name, by id prefix, or by name from one chosen peer (`-p`). */
const DOWNLOAD_MODES = { name: 4, id: 3, peer: 3 } as const

/** Downloads a file the peer does not share; a completed one must hash to its source. */
async function download (ctx: ChaosContext, prng: Prng, peer: ChaosPeer): Promise<void> {
  const candidates = ctx.network.files.filter(file => file.contentId != null && !file.holders.includes(peer.index))
  if (candidates.length === 0) {
    return
  }
  const file = prng.pick(candidates)
  const mode = prng.weighted(DOWNLOAD_MODES)
  const holder = ctx.network.peers[prng.pick(file.holders)]
  const args = mode === 'name'
    ? ['download', file.name]
    : mode === 'id' ? ['download', '-i', file.contentId!.slice(0, 16)] : ['download', '-p', holder.peerId, file.name]
  const epoch = peer.epoch
  ctx.ledger.count('downloadsStarted')
  ctx.ledger.count(`downloadsBy${mode[0].toUpperCase()}${mode.slice(1)}`)
  const result = await peer.cli(args, DOWNLOAD_TIMEOUT_MS)
  if (result.code === 0 && Array.isArray(result.json) && result.json.length === 1) {
    ctx.ledger.max('downloadMaxMs', result.ms)
    await verifyDownload(ctx, peer, file, result.json[0].path)
    return
  }
  if (peer.epoch !== epoch) {
    ctx.ledger.downloadFailed('the downloading daemon went down (resumes when it restarts)')
  } else if (result.code === 4) {
    ctx.ledger.downloadFailed(`not found on ${mode === 'peer' ? 'the chosen peer' : 'this peer yet'} (exit 4)`)
  } else if (mode === 'peer' && !holder.up) {
    ctx.ledger.downloadFailed(`-p names a peer that was down: ${failureReason(result)}`)
  } else {
    ctx.ledger.downloadFailed(failureReason(result))
  }
}

/** Checks a completed download against its source: the bytes under the path the CLI printed must hash to the source's SHA-256. */
export async function verifyDownload (ctx: ChaosContext, peer: ChaosPeer, file: SourceFile | undefined, path: string): Promise<void> {
  ctx.ledger.count('downloadsCompleted')
  const hash = await sha256File(path).catch((err: Error) => `unreadable (${err.message})`)
  ctx.ledger.check('downloadsMatchSource', file != null && hash === file.sha256,
    () => `${peer.label}: ${path} hashes to ${hash}, its source ${file?.name ?? '(unknown content id)'} to ${file?.sha256}`)
}
