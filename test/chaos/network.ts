import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { eventually, PeerNetwork } from '../fixtures/daemons.ts'
import { planCatalogue, writeCatalogue } from './catalogue.ts'
import { failureReason } from './context.ts'
import { ChaosPeer } from './peer.ts'
import type { SourceFile } from './catalogue.ts'
import type { ChaosOptions } from './context.ts'
import type { Ledger } from './ledger.ts'
import type { Prng } from './prng.ts'

/**
 * Every daemon dials from 127.0.0.1, so the per-address inbound connection
 * rate (5/s by default, meant for one remote host) would count the whole
 * network as one host and refuse the redials that follow a restart. Real
 * peers have addresses of their own: the chaos network raises that one limit
 * and keeps every other default.
 */
const LOOPBACK_LIMITS = { inbound_connections_per_second: 1000 }

/**
 * The chaos network: peer folders in one temp root, each sharing files of a
 * seeded catalogue, started one after the other, each naming one or two
 * earlier peers in its config, plus a few `peerit connect` links.
 */
export class ChaosNetwork {
  readonly peers: ChaosPeer[] = []
  readonly files: SourceFile[]
  /** The catalogue by content id, once the holders have indexed it. */
  readonly byContentId = new Map<string, SourceFile>()
  /** SHA-256 of every source: any complete file in a download folder must hash to one of them. */
  readonly sourceHashes = new Set<string>()
  private readonly folders = new PeerNetwork()

  private constructor (files: SourceFile[]) {
    this.files = files
  }

  /** Builds and starts the network; on failure tears down what it started. */
  static async create (options: ChaosOptions, prng: Prng, ledger: Ledger): Promise<ChaosNetwork> {
    const network = new ChaosNetwork(planCatalogue(prng.fork('files'), { peers: options.peers, minSize: options.minFileSize, maxSize: options.maxFileSize }))
    try {
      await network.build(options, prng.fork('topology'), ledger)
    } catch (err) {
      await network.close()
      throw err
    }
    return network
  }

  /** The peers that are up now. */
  upPeers (): ChaosPeer[] {
    return this.peers.filter(peer => peer.up)
  }

  /** The peer with this id, if it is one of ours. */
  peerById (peerId: string): ChaosPeer | undefined {
    return this.peers.find(peer => peer.peerId === peerId)
  }

  /** Bytes shared in all, counting each copy. */
  get sharedBytes (): number {
    return this.files.reduce((sum, file) => sum + file.size * file.holders.length, 0)
  }

  /** Stops every daemon (gracefully, then hard) and removes the folders, unless told to keep them for a post-mortem. */
  async close (keepFolders = false): Promise<void> {
    if (!keepFolders) {
      await this.folders.close()
      return
    }
    // stop() falls back to SIGKILL by itself.
    await Promise.all(this.peers.map(async peer => peer.stop()))
  }

  /** The temp folder holding every peer's folder. */
  get root (): string | undefined {
    return this.peers[0] == null ? undefined : dirname(this.peers[0].dir.dir)
  }

  /** Last resort on exit (a second Ctrl-C, a crash): kills every daemon and removes the folders synchronously. */
  killAllSync (): void {
    for (const peer of this.peers) {
      peer.dir.kill9()
    }
    if (this.root != null) {
      rmSync(this.root, { recursive: true, force: true })
    }
  }

  private async build (options: ChaosOptions, prng: Prng, ledger: Ledger): Promise<void> {
    for (let i = 0; i < options.peers; i++) {
      const config: Record<string, unknown> = { listening_port: 0, limits: LOOPBACK_LIMITS }
      this.peers.push(new ChaosPeer(i, await this.folders.peer(config), config))
    }
    await writeCatalogue(this.files, index => this.peers[index].dir.sharedDir, options.seed)
    // One after the other: each names one or two peers already up (their ports are known only then).
    for (const peer of this.peers) {
      const earlier = prng.sample(this.peers.slice(0, peer.index), prng.int(1, 2))
      earlier.forEach((other, n) => { peer.config[n === 0 ? 'primary_peer_url' : 'secondary_peer_url'] = other.address })
      const started = await peer.start()
      if (started.code !== 0) {
        throw new Error(`${peer.label} did not start: ${failureReason(started)}`)
      }
      ledger.count('starts')
    }
    for (const file of this.files) {
      this.sourceHashes.add(file.sha256)
    }
    await Promise.all(this.peers.map(async peer => this.index(peer)))
    await this.extraLinks(prng, ledger)
    await Promise.all(this.peers.map(async peer => eventually(async () => (await peer.cli(['status'], 15_000)).json?.connectedPeers > 0,
      { timeoutMs: 60_000, what: `${peer.label} connected to a peer` })))
    for (const peer of this.peers) {
      const fetched = await peer.cli(['fetch', '--timeout', '15'], 40_000)
      ledger.count(fetched.code === 0 ? 'fetches' : 'fetchesFailed')
      peer.contactsFloor = (await peer.cli(['status'], 15_000)).json?.contacts ?? 0
    }
  }

  /** Waits until a peer has indexed its shared files, and learns their content ids. */
  private async index (peer: ChaosPeer): Promise<void> {
    const synced = await peer.cli(['sync'], 120_000)
    if (synced.code !== 0) {
      throw new Error(`${peer.label} could not index its shared folder: ${failureReason(synced)}`)
    }
    const listed = await peer.cli(['list', 'shared'], 15_000)
    for (const entry of listed.json as Array<{ id: string, name: string }>) {
      peer.sharedIds.add(entry.id)
      const file = this.files.find(f => f.name === entry.name)
      if (file != null) {
        file.contentId = entry.id
        this.byContentId.set(entry.id, file)
      }
    }
    const expected = this.files.filter(file => file.holders.includes(peer.index)).length
    if (peer.sharedIds.size !== expected) {
      throw new Error(`${peer.label} indexed ${peer.sharedIds.size} files, expected ${expected}`)
    }
  }

  /** A few `peerit connect` links between peers that the configs did not join, so the topology has cycles. */
  private async extraLinks (prng: Prng, ledger: Ledger): Promise<void> {
    const wanted = Math.ceil(this.peers.length / 4)
    for (let i = 0; i < wanted; i++) {
      const [from, to] = prng.sample(this.peers, 2)
      if (from == null || to == null || from.config.primary_peer_url === to.address || from.config.secondary_peer_url === to.address) {
        continue
      }
      const connected = await from.cli(['connect', to.address], 30_000)
      ledger.count(connected.code === 0 ? 'connects' : 'connectsFailed')
    }
  }
}
