/**
 * The NAT lab's scenario: real daemons in the lab's namespaces (started with
 * `ip netns exec … peerit start`), driven by the real `peerit` CLI from the
 * root namespace through their Unix sockets, and the checks of issue 9.
 */
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PEERIT_BIN, eventually } from '../fixtures/daemons.ts'
import { run } from './netns.ts'
import { HOSTS, PUBLIC_NETWORK } from './topology.ts'
import type { Namespaces } from './netns.ts'
import type { LabHost } from './topology.ts'

const MiB = 1024 * 1024
const PORT = 4001

/** The sizes of a run: the full lab, or the short one `npm test` runs. */
export interface LabSizes {
  /** The file A downloads from B (the issue asks for 64 MiB). */
  bigFile: number
  /** The file the public peer downloads from A. */
  reverseFile: number
  /** The file in flight when the relay is killed. */
  killFile: number
  /** The relay's `relay_bytes_per_second`, slow enough to kill it mid-transfer. */
  relayRate: number
  /**
   * How long the killed relay stays down: `brief` (until A has lost its slot on it; the
   * running download finds the path again) or `until-interrupted` (until A's download
   * has given up on every provider, minutes with the DHT's lookups; A's auto-resume
   * brings it back).
   */
  outage: 'brief' | 'until-interrupted'
}

// The relay's rate keeps the killed transfer running for several seconds, so that a CLI poll
// (about a second each on a busy machine) catches it in flight.
export const FULL: LabSizes = { bigFile: 64 * MiB, reverseFile: 16 * MiB, killFile: 64 * MiB, relayRate: 8 * MiB, outage: 'until-interrupted' }
export const SHORT: LabSizes = { bigFile: 8 * MiB, reverseFile: 4 * MiB, killFile: 16 * MiB, relayRate: 2 * MiB, outage: 'brief' }

/** One check of the lab and whether it held. */
export interface LabCheck {
  name: string
  held: boolean
  detail: string
}

/** A daemon of the lab: its host, folder and process. */
class LabNode {
  readonly host: LabHost
  readonly dir: string
  pid?: number
  peerId = ''

  constructor (host: LabHost, root: string) {
    this.host = host
    this.dir = join(root, host.role)
  }

  get config (): string {
    return join(this.dir, 'peerConf.json')
  }

  get address (): string {
    return `${this.host.ip}:${PORT}`
  }

  async writeConfig (extra: Record<string, unknown>): Promise<void> {
    await mkdir(join(this.dir, 'shared'), { recursive: true })
    await writeFile(this.config, JSON.stringify({
      listening_ip: this.host.ip,
      listening_port: PORT,
      shared_dir: './shared',
      download_dir: './downloads',
      public_networks: [PUBLIC_NETWORK],
      ...extra
    }, null, 2))
  }

  /** `peerit start` inside the host's namespace. */
  async start (ns: Namespaces): Promise<void> {
    const out = await run('ip', ['netns', 'exec', ns.name(this.host.role), process.execPath, PEERIT_BIN, 'start', '--config', this.config, '--json'], 60_000)
    const started = JSON.parse(out)
    this.pid = started.pid
    this.peerId = started.peerId
  }

  /** `peerit <args> --json` from the root namespace, through the daemon's socket. */
  async cli (args: string[], timeoutMs = 120_000): Promise<any> {
    const out = await run(process.execPath, [PEERIT_BIN, ...args, '--config', this.config, '--json'], timeoutMs)
    return JSON.parse(out)
  }

  async log (): Promise<string> {
    return readFile(join(this.dir, '.peerit', 'peerit.log'), 'utf8').catch(() => '')
  }

  /** Kills the daemon hard, as a crash or a pulled plug would. */
  kill (): void {
    if (this.pid != null) {
      try { process.kill(this.pid, 'SIGKILL') } catch {}
      this.pid = undefined
    }
  }
}

/** Writes `size` random bytes to a host's shared folder; returns the sha-256. */
async function share (node: LabNode, name: string, size: number): Promise<string> {
  const bytes = randomBytes(size)
  await writeFile(join(node.dir, 'shared', name), bytes)
  await node.cli(['sync'])
  return createHash('sha256').update(bytes).digest('hex')
}

async function sha256 (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk)
  }
  return hash.digest('hex')
}

/** Runs every check; `onCheck` hears each as it is decided. Daemons are killed before this resolves or rejects. */
export async function runScenario (ns: Namespaces, sizes: LabSizes, onCheck: (check: LabCheck) => void): Promise<LabCheck[]> {
  const root = await mkdtemp(join(tmpdir(), `peerit-lab-${process.pid}-`))
  const nodes = {
    relay: new LabNode(HOSTS.relay, root),
    public: new LabNode(HOSTS.public, root),
    a1: new LabNode(HOSTS.a1, root),
    a2: new LabNode(HOSTS.a2, root),
    b1: new LabNode(HOSTS.b1, root)
  }
  const checks: LabCheck[] = []
  const check = async (name: string, body: () => Promise<string>): Promise<void> => {
    let result: LabCheck
    try {
      result = { name, held: true, detail: await body() }
    } catch (err: any) {
      result = { name, held: false, detail: err.message }
    }
    checks.push(result)
    onCheck(result)
  }
  try {
    await nodes.relay.writeConfig({ relay_server: true, limits: { relay_max_reservations: 2, relay_bytes_per_second: sizes.relayRate } })
    // Every node runs the DHT (the default) but the public downloader. In a lab of five, every
    // DHT node is one of A's closest peers, and kad-dht keeps those connected: A would hold a
    // direct connection to it before any download, and the reversal check would test nothing.
    // Without the DHT it stands for a public peer far from A in key space, the usual case.
    await nodes.public.writeConfig({ primary_peer_url: nodes.relay.address, dht: false })
    await nodes.a1.writeConfig({ primary_peer_url: nodes.relay.address })
    await nodes.b1.writeConfig({ primary_peer_url: nodes.relay.address })
    // a2 names no peer at all: all it will know comes from mDNS
    await nodes.a2.writeConfig({})
    await nodes.relay.start(ns)
    await Promise.all([nodes.public, nodes.a1, nodes.b1].map(async node => node.start(ns)))
    // a1 and b1 take the relay's two slots before a2 starts: with the DHT on, a2 would
    // otherwise meet the relay through its neighbours and race them for a slot.
    await Promise.all([nodes.a1, nodes.b1].map(async node => eventually(async () => (await node.cli(['status'])).relayAddresses.length > 0, { timeoutMs: 30_000, what: `${node.host.role} to hold a relay slot` })))
    await nodes.a2.start(ns)

    await check('the two LAN A hosts find each other by mDNS, with no peer configured', async () => {
      const a1 = await eventually(async () => {
        const peers = await nodes.a2.cli(['list', 'peers'])
        return peers.find((p: any) => p.peerId === nodes.a1.peerId && p.connected)
      }, { timeoutMs: 40_000, what: 'a2 to see a1' })
      if (a1.source !== 'mdns' || a1.contact !== false) {
        throw new Error(`a1 is listed with source ${a1.source} and contact ${a1.contact}`)
      }
      return `a2 connected to a1 (source mdns, not a contact) at ${a1.addresses.join(' ')}`
    })

    const [bigHash, reverseHash, killHash] = await Promise.all([
      share(nodes.b1, 'b-big.bin', sizes.bigFile),
      share(nodes.a1, 'a-file.bin', sizes.reverseFile),
      share(nodes.b1, 'b-second.bin', sizes.killFile)
    ])

    await check(`A (behind NAT A) fetches B's files and downloads ${sizes.bigFile / MiB} MiB from B (behind NAT B), verified`, async () => {
      await nodes.a1.cli(['fetch'])
      const started = Date.now()
      const [result] = await nodes.a1.cli(['download', 'b-big.bin'], 300_000)
      const seconds = (Date.now() - started) / 1000
      if (await sha256(result.path) !== bigHash) {
        throw new Error('the downloaded file does not match')
      }
      const b1 = (await nodes.a1.cli(['list', 'peers'])).find((p: any) => p.peerId === nodes.b1.peerId)
      if (b1?.connection !== 'relayed') {
        throw new Error(`A's connection to B is ${b1?.connection}, not relayed`)
      }
      return `sha-256 matches; ${(sizes.bigFile / MiB / seconds).toFixed(1)} MiB/s through the relay (capped at ${sizes.relayRate / MiB} MiB/s)`
    })

    await check('the public peer downloads from A, and the transfer ends on a direct connection A dialled back', async () => {
      const before = (await nodes.relay.cli(['status'])).relay.bytesRelayed
      await nodes.public.cli(['fetch'])
      const [result] = await nodes.public.cli(['download', 'a-file.bin'], 300_000)
      if (await sha256(result.path) !== reverseHash) {
        throw new Error('the downloaded file does not match')
      }
      const a1 = (await nodes.public.cli(['list', 'peers'])).find((p: any) => p.peerId === nodes.a1.peerId)
      if (a1?.connection !== 'direct') {
        throw new Error(`the public peer's connection to A is ${a1?.connection}`)
      }
      const relayed = (await nodes.relay.cli(['status'])).relay.bytesRelayed - before
      if (relayed >= sizes.reverseFile / 2) {
        throw new Error(`the relay carried ${relayed} bytes of a ${sizes.reverseFile}-byte file`)
      }
      if (!(await nodes.a1.log()).includes('reversal:')) {
        throw new Error('A did not log a reversal')
      }
      return `verified; connection direct; the relay carried ${(relayed / 1024).toFixed(0)} KiB of it`
    })

    await check('a relay at its reservation cap refuses more, and the refused peer falls back cleanly', async () => {
      await nodes.a2.cli(['connect', nodes.relay.address])
      const line = await eventually(async () => (await nodes.a2.log()).split('\n').find(l => l.includes('refused a reservation')), { timeoutMs: 30_000, what: 'a2 to be refused' })
      const status = await nodes.a2.cli(['status'])
      if (status.relayAddresses.length !== 0 || status.reachability !== 'private') {
        throw new Error(`a2 reports ${status.reachability} with ${status.relayAddresses.length} relay addresses`)
      }
      if (!(await nodes.relay.log()).includes('limits.relay_max_reservations')) {
        throw new Error('the relay did not log the refusal')
      }
      await nodes.a2.cli(['fetch'])
      const files = await nodes.a2.cli(['list', 'files'])
      if (!files.some((f: any) => f.name === 'b-big.bin')) {
        throw new Error('a2 cannot fetch through the relay after the refusal')
      }
      return `a2: "${line.replace(/^\S+ /, '').slice(0, 90)}…"; it still fetches (${files.length} files)`
    })

    await check('the relay killed mid-transfer: the download resumes when a path returns, nothing corrupt', async () => {
      // a2 has had its say: stopped, it cannot race B for the restarted relay's two slots.
      await nodes.a2.cli(['stop'])
      await nodes.a1.cli(['fetch'])
      const download = spawn(process.execPath, [PEERIT_BIN, 'download', 'b-second.bin', '--config', nodes.a1.config, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
      const entry = async (): Promise<any> => (await nodes.a1.cli(['downloads'])).find((d: any) => d.name === 'b-second.bin')
      try {
        const partial = await eventually(async () => {
          const current = await entry()
          return current != null && current.received >= sizes.killFile / 8 && current.received < sizes.killFile * 0.9 ? current.received : undefined
        }, { timeoutMs: 60_000, what: 'the download to be under way' })
        nodes.relay.kill()
        let interrupted = false
        if (sizes.outage === 'until-interrupted') {
          // What brings the download back is then A's own auto-resume, not a request still retrying.
          await eventually(async () => (await entry())?.status === 'interrupted', { timeoutMs: 600_000, what: 'the download to be interrupted' })
          interrupted = true
        } else {
          await eventually(async () => (await nodes.a1.cli(['status'])).relayAddresses.length === 0, { timeoutMs: 60_000, what: 'A to lose its relay slot' })
        }
        const restartedAt = Date.now()
        await nodes.relay.start(ns)
        // Nobody resumes it by hand: B reserves again on the relay, A's download tries again on its own.
        const done = await eventually(async () => {
          const current = await entry()
          return current?.status === 'completed' ? current : undefined
        }, { timeoutMs: 240_000, what: 'the download to resume by itself and complete' })
        if (await sha256(done.path) !== killHash) {
          throw new Error('the resumed file does not match')
        }
        return `killed at ${(partial / MiB).toFixed(1)} of ${sizes.killFile / MiB} MiB${interrupted ? ', left down until the download was interrupted' : ''}; completed by itself ${Math.round((Date.now() - restartedAt) / 1000)} s after the relay came back, no manual resume; sha-256 matches`
      } finally {
        download.kill('SIGKILL')
      }
    })

    await check('no UPnP router: the nodes say so once and go on without a mapping', async () => {
      const line = await eventually(async () => (await nodes.b1.log()).split('\n').find(l => l.includes('upnp: no UPnP router answered')), { timeoutMs: 30_000, what: 'the UPnP notice' })
      return line.replace(/^\S+ /, '').slice(0, 80)
    })
    return checks
  } finally {
    Object.values(nodes).forEach(node => { node.kill() })
    // PEERIT_LAB_KEEP=1 keeps the peers' folders (configs, logs) to read after a failed run.
    if (process.env.PEERIT_LAB_KEEP === '1') {
      console.error(`lab folders kept in ${root}`)
    } else {
      await rm(root, { recursive: true, force: true }).catch(() => {})
    }
  }
}
