import { realpathSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { delimiter, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { callDaemon, locateNode } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import { runningStatus, spawnDaemon } from './start.ts'
import type { GlobalOptions } from '../context.ts'
import type { RunningStatus } from './start.ts'
import type { Argv } from 'yargs'

interface DemoArgs extends GlobalOptions {
  dir: string
  stop: boolean
}

/** The demo network: a line alice ← bob ← carol, each sharing a few files. */
const PEERS: Array<{ name: string, files: Record<string, number | string> }> = [
  { name: 'alice', files: { 'The Beatles - Help.mp3': 3 * 1024 * 1024, 'report-2024.pdf': 'PeerIT demo report\n'.repeat(2000) } },
  { name: 'bob', files: { 'holiday video.mp4': 6 * 1024 * 1024, 'notes.txt': 'Canción de cuna — notes\n' } },
  { name: 'carol', files: { 'photo of the sea.jpg': 512 * 1024 } }
]

export const command = 'demo'
export const describe = 'Start a local network of three peers (alice, bob, carol) to try PeerIT'

export function builder (y: Argv<GlobalOptions>): Argv<DemoArgs> {
  return y
    .option('dir', { type: 'string', default: 'peerit-demo', describe: 'folder for the three peers' })
    .option('stop', { type: 'boolean', default: false, describe: 'stop the demo peers' })
    .epilogue('Each peer is a folder with its own peerConf.json; cd into one and use any peerit command.') as unknown as Argv<DemoArgs>
}

export async function handler (argv: DemoArgs): Promise<void> {
  const root = resolve(argv.dir)
  if (argv.stop) {
    const stopped: string[] = []
    for (const { name } of PEERS) {
      const config = join(root, name, 'peerConf.json')
      try {
        await callDaemon({ config }, 'stop')
        stopped.push(name)
      } catch {}
    }
    argv.json === true ? printJson({ stopped }) : printLines(`stopped: ${stopped.join(', ') || 'nothing was running'}`)
    return
  }
  const { writeInitialConfig } = await import('../../src/config.ts')
  const started: Array<RunningStatus & { name: string, dir: string }> = []
  for (const [index, peer] of PEERS.entries()) {
    const dir = join(root, peer.name)
    const config = join(dir, 'peerConf.json')
    const location = locateNode({ config })
    let status = await runningStatus(location)
    if (status == null) {
      await mkdir(join(dir, 'shared'), { recursive: true })
      for (const [file, content] of Object.entries(peer.files)) {
        await writeFile(join(dir, 'shared', file), typeof content === 'number' ? process.getBuiltinModule('node:crypto').randomBytes(content) : content)
      }
      const previous = started[index - 1]
      await writeInitialConfig(config, { port: 0, peers: previous == null ? [] : [previous.addresses[0]], force: true })
      status = await spawnDaemon(location)
    }
    started.push({ ...status, name: peer.name, dir })
  }
  const carol = started[started.length - 1]
  const carolConfig = join(carol.dir, 'peerConf.json')
  // Wait for the line to connect and the indexes to be built before the first fetch.
  for (const peer of started) {
    await callDaemon({ config: join(peer.dir, 'peerConf.json') }, 'sync', {}, { timeoutMs: 120_000 })
  }
  await waitForConnections(started.map(p => join(p.dir, 'peerConf.json')))
  const fetched = await callDaemon<{ peersReached: number, filesDiscovered: number }>({ config: carolConfig }, 'fetch', {}, { timeoutMs: 60_000 })
  if (argv.json === true) {
    printJson({ peers: started.map(p => ({ name: p.name, dir: p.dir, peerId: p.peerId, addresses: p.addresses, pid: p.pid })), fetch: fetched })
    return
  }
  const carolDir = relative(process.cwd(), carol.dir) || '.'
  const peerit = peeritCommand(carol.dir)
  printLines(
    style.bold('PeerIT demo: three peers on 127.0.0.1, connected in a line alice ← bob ← carol'),
    ...started.map(p => `  ${p.name.padEnd(6)} ${p.peerId}  ${p.addresses[0]}  (${relative(process.cwd(), p.dir)})`),
    '',
    `carol fetched: ${fetched.peersReached} peers reached, ${fetched.filesDiscovered} files discovered.`,
    '',
    'Try, as carol:',
    `  cd ${carolDir}`,
    `  ${peerit} list files`,
    `  ${peerit} search beatles`,
    `  ${peerit} search -t video`,
    `  ${peerit} download "The Beatles - Help.mp3"`,
    `  ${peerit} list peers`,
    '',
    `Stop the demo: ${style.bold(`${peeritCommand(process.cwd())} demo --stop --dir ${relative(process.cwd(), root) || '.'}`)}`
  )
}

/** How to type `peerit` from a folder: its name when it is on the PATH, else the path of the shell launcher. */
function peeritCommand (from: string): string {
  const launcher = fileURLToPath(new URL('../../bin/peerit', import.meta.url))
  const onPath = (process.env.PATH ?? '').split(delimiter).some(dir => {
    try {
      return realpathSync(join(dir, 'peerit')) === realpathSync(launcher)
    } catch {
      return false
    }
  })
  if (onPath) {
    return 'peerit'
  }
  const path = relative(from, launcher)
  return path.startsWith('.') ? path : `./${path}`
}

async function waitForConnections (configs: string[]): Promise<void> {
  const deadline = Date.now() + 20_000
  for (const config of configs) {
    while (Date.now() < deadline) {
      const status = await callDaemon<{ connectedPeers: number }>({ config }, 'status')
      if (status.connectedPeers > 0) {
        break
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}
