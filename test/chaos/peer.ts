import { runPeeritTimed, waitForExit } from '../fixtures/chaos.ts'
import { hostPort } from '../fixtures/daemons.ts'
import type { TimedCliResult } from '../fixtures/chaos.ts'
import type { PeerDir } from '../fixtures/daemons.ts'

/** How long a `peerit start` may take on a loaded machine (LevelDB recovery after a kill included). */
const START_TIMEOUT_MS = 45_000
/** Attempts at a restart: the port can stay taken for a moment after a kill. */
const START_ATTEMPTS = 4

/**
 * One daemon of the chaos network, as the runner sees it: its folder, its
 * identity and pinned address, whether it is up, and what must survive its
 * restarts (its contacts count and its shared ids).
 */
export class ChaosPeer {
  readonly index: number
  readonly dir: PeerDir
  /** The config it was created with; the port is pinned into it after the first start. */
  readonly config: Record<string, unknown>
  peerId = ''
  /** host:port, the same across restarts. */
  address = ''
  up = false
  /** Set while the runner changes this peer's life (kill, stop, restart) or links, so probes leave it alone. */
  busy = false
  /** Incremented each time the daemon goes down: a command that spans a change of epoch saw a restart. */
  epoch = 0
  /** The fewest contacts it may have: its count before a restart, lowered only by an explicit `disconnect`. */
  contactsFloor = 0
  /** The ids its shared index held once indexed; a restart must keep exactly these. */
  readonly sharedIds = new Set<string>()

  constructor (index: number, dir: PeerDir, config: Record<string, unknown>) {
    this.index = index
    this.dir = dir
    this.config = config
  }

  /** A short name for logs: p0, p1, … */
  get label (): string {
    return `p${this.index}`
  }

  /** `peerit <args> --json` in this peer's folder. */
  async cli (args: string[], timeoutMs: number): Promise<TimedCliResult> {
    return runPeeritTimed(this.dir.dir, [...args, '--json'], timeoutMs)
  }

  /**
   * `peerit start`, retried a few times: a restart right after a kill may find
   * the port still held. The first start picks a free port (port 0), which is
   * then written into the config so every restart comes back on the address
   * the other peers keep as a contact.
   */
  async start (): Promise<TimedCliResult> {
    await this.dir.writeConfig(this.config)
    let result: TimedCliResult | undefined
    for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      result = await this.cli(['start'], START_TIMEOUT_MS)
      if (result.code === 0 && typeof result.json?.pid === 'number') {
        break
      }
      await new Promise(resolve => setTimeout(resolve, 500 * attempt))
    }
    if (result?.code !== 0 || typeof result.json?.pid !== 'number') {
      return result!
    }
    this.dir.pid = result.json.pid
    this.peerId = result.json.peerId
    this.address = hostPort(result.json.addresses[0])
    if (this.config.listening_port === 0) {
      this.config.listening_port = Number(this.address.split(':')[1])
      await this.dir.writeConfig(this.config)
    }
    this.up = true
    return result
  }

  /** Kills the daemon with SIGKILL, as a crash would, and waits until it is gone. */
  async kill9 (): Promise<boolean> {
    this.down()
    const pid = this.dir.pid
    this.dir.kill9()
    const gone = pid == null || await waitForExit(pid, 10_000)
    if (gone) {
      // Never signal a pid that the system may hand to another process.
      this.dir.pid = undefined
    }
    return gone
  }

  /** `peerit stop` (graceful); falls back to SIGKILL when it fails, and says which it was. */
  async stop (): Promise<{ graceful: boolean, result: TimedCliResult }> {
    // Down from the moment it is asked to stop: it refuses commands from then on.
    this.down()
    const result = await this.cli(['stop'], 40_000)
    if (result.code === 0) {
      this.dir.pid = undefined
      return { graceful: true, result }
    }
    await this.kill9()
    return { graceful: false, result }
  }

  /** `peerit status --json`. */
  async status (timeoutMs: number): Promise<TimedCliResult> {
    return this.cli(['status'], timeoutMs)
  }

  private down (): void {
    this.up = false
    this.epoch++
  }
}
