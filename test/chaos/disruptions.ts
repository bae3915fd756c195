import { failureReason, pause, running } from './context.ts'
import type { ChaosContext } from './context.ts'
import type { ChaosPeer } from './peer.ts'
import type { Prng } from './prng.ts'

/** The disruptions, in proportion: crashes most, since they are what loses data. */
export const DISRUPTIONS = { kill: 4, stop: 2, cut: 3 } as const

/** How long a peer stays down, and a cut link stays cut (ms). */
const DOWNTIME_MS = { min: 1_000, max: 6_000 }
const CUT_MS = { min: 2_000, max: 8_000 }

/**
 * Starts one disruption on a random peer that is up and not already being
 * changed: `kill -9` or `peerit stop`, each followed after a while by
 * `peerit start` and the survival checks; or a `disconnect` later undone by
 * `connect`. Returns the disruption's whole course as a promise, so the run
 * can wait for the ones still under way before it checks the end state.
 */
export function disrupt (ctx: ChaosContext, prng: Prng, chosen?: keyof typeof DISRUPTIONS): Promise<void> | undefined {
  const idle = ctx.network.peers.filter(peer => peer.up && !peer.busy)
  const down = ctx.network.peers.filter(peer => !peer.up).length
  const maxDown = Math.max(1, Math.floor(ctx.network.peers.length * ctx.options.maxDownShare))
  let kind = chosen ?? prng.weighted(DISRUPTIONS)
  if (kind !== 'cut' && down >= maxDown) {
    kind = 'cut'
  }
  if (idle.length === 0) {
    return undefined
  }
  const peer = prng.pick(idle)
  peer.busy = true
  const course = kind === 'cut' ? cutLink(ctx, prng, peer) : crashAndRestart(ctx, prng, peer, kind === 'kill')
  return course.catch((err: Error) => {
    ctx.ledger.count('runnerErrors')
    ctx.options.log(`runner error during a ${kind} of ${peer.label}: ${err.stack ?? err.message}`)
  }).finally(() => { peer.busy = false })
}

/** Takes a peer down (SIGKILL, or gracefully), brings it back, and checks what must have survived. */
async function crashAndRestart (ctx: ChaosContext, prng: Prng, peer: ChaosPeer, hard: boolean): Promise<void> {
  const { ledger, options } = ctx
  const before = await peer.status(options.statusBoundMs + 5_000)
  if (typeof before.json?.contacts === 'number') {
    peer.contactsFloor = Math.max(peer.contactsFloor, before.json.contacts)
  }
  if (hard) {
    options.log(`kill -9 ${peer.label}`)
    ledger.count('kills')
    if (!await peer.kill9()) {
      ledger.count('killsNotDead')
    }
  } else {
    options.log(`stop ${peer.label}`)
    const stopped = await peer.stop()
    ledger.count(stopped.graceful ? 'gracefulStops' : 'gracefulStopsFailed')
    if (stopped.graceful) {
      ledger.max('stopMaxMs', stopped.result.ms)
    }
  }
  await pause(prng.int(DOWNTIME_MS.min, DOWNTIME_MS.max), options.signal)
  await restart(ctx, peer)
}

/** `peerit start` on a peer that is down, then the survival checks: contacts kept, shared ids kept. */
export async function restart (ctx: ChaosContext, peer: ChaosPeer): Promise<void> {
  const { ledger, options } = ctx
  const started = await peer.start()
  ledger.check('restartsSucceed', started.code === 0, () => `${peer.label}: ${failureReason(started)}`)
  if (started.code !== 0) {
    options.log(`${peer.label} did not restart: ${failureReason(started)}`)
    return
  }
  ledger.count('restarts')
  ledger.max('restartMaxMs', started.ms)
  options.log(`${peer.label} restarted in ${started.ms} ms`)
  await checkSurvivors(ctx, peer)
}

/** Checks a peer's contacts count against its floor and its shared ids against the ones it indexed. */
export async function checkSurvivors (ctx: ChaosContext, peer: ChaosPeer): Promise<void> {
  const { ledger, options } = ctx
  const status = await peer.status(options.statusBoundMs + 5_000)
  const contacts = status.json?.contacts
  ledger.check('contactsSurvive', typeof contacts === 'number' && contacts >= peer.contactsFloor,
    () => `${peer.label}: ${String(contacts)} contacts after a restart, ${peer.contactsFloor} before`)
  const listed = await peer.cli(['list', 'shared'], 30_000)
  const ids = Array.isArray(listed.json) ? new Set((listed.json as Array<{ id: string }>).map(entry => entry.id)) : new Set<string>()
  // Completed downloads are listed too (share_downloads): every indexed id must still be there.
  const missing = [...peer.sharedIds].filter(id => !ids.has(id))
  ledger.check('sharedIndexSurvives', missing.length === 0,
    () => `${peer.label}: \`list shared\` lacks ${missing.length} of the ${peer.sharedIds.size} ids it indexed (${failureReason(listed)})`)
}

/** `disconnect` one of the peer's connected neighbours, then, a few seconds later, `connect` it again. */
async function cutLink (ctx: ChaosContext, prng: Prng, peer: ChaosPeer): Promise<void> {
  const { ledger, options, network } = ctx
  const listed = await peer.cli(['list', 'peers'], 30_000)
  const neighbours = Array.isArray(listed.json)
    ? (listed.json as Array<{ peerId: string | null, connected: boolean }>).flatMap(p => {
        const other = p.connected && p.peerId != null ? network.peerById(p.peerId) : undefined
        return other == null ? [] : [other]
      })
    : []
  if (neighbours.length === 0) {
    return
  }
  const other = prng.pick(neighbours)
  options.log(`cut ${peer.label} - ${other.label}`)
  const cut = await peer.cli(['disconnect', other.peerId], 30_000)
  if (cut.code !== 0) {
    ledger.count('linkCutsFailed')
    return
  }
  ledger.count('linkCuts')
  // An explicit disconnect is the one thing allowed to lower the contacts count.
  const after = await peer.status(options.statusBoundMs + 5_000)
  peer.contactsFloor = after.json?.contacts ?? Math.max(0, peer.contactsFloor - cut.json.contactsRemoved)
  await pause(prng.int(CUT_MS.min, CUT_MS.max), options.signal)
  // The other end may be down for a while: try to restore the link until the run ends.
  while (running(ctx) && peer.up) {
    if (other.up) {
      const restored = await peer.cli(['connect', other.address], 30_000)
      if (restored.code === 0) {
        ledger.count('linkRestores')
        const status = await peer.status(options.statusBoundMs + 5_000)
        peer.contactsFloor = Math.max(peer.contactsFloor, status.json?.contacts ?? 0)
        return
      }
    }
    await pause(1_000, options.signal)
  }
  ledger.count('linksLeftCut')
}
