import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmod, copyFile, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { hashFile } from '../../protocols/file/index.ts'
import { createPeerNode } from '../../src/index.ts'
import { PeerNetwork } from '../fixtures/daemons.ts'
import { createFileNode, introduce } from '../fixtures/file-nodes.ts'
import { tempFolder } from '../fixtures/search.ts'
import type { PeerNode } from '../../src/index.ts'
import type { FileNode } from '../fixtures/file-nodes.ts'

/**
 * A remote peer asks a real PeerIT node for files by content id: only files
 * in the shared index are ever served, whatever it asks.
 */
describe('a remote peer reads only what is in the shared index', () => {
  let root: { path: string, remove: () => Promise<void> }
  let node: PeerNode
  let client: FileNode
  const ids: Record<string, string> = {}

  before(async () => {
    root = await tempFolder('peerit-access-')
    const shared = join(root.path, 'shared')
    await mkdir(shared, { recursive: true })
    await writeFile(join(root.path, 'secret.txt'), 'outside the shared folder')
    await writeFile(join(shared, 'public.txt'), 'shared on purpose')
    await writeFile(join(shared, 'removed.txt'), 'shared, then deleted')
    await symlink(join(root.path, 'secret.txt'), join(shared, 'link-to-secret.txt'))
    await mkdir(join(shared, '.hidden'), { recursive: true })
    await writeFile(join(shared, '.hidden', 'dotfile.txt'), 'hidden')
    for (const [name, path] of Object.entries({
      public: join(shared, 'public.txt'),
      secret: join(root.path, 'secret.txt'),
      removed: join(shared, 'removed.txt'),
      hidden: join(shared, '.hidden', 'dotfile.txt')
    })) {
      ids[name] = (await hashFile(path)).contentId
    }
    node = await createPeerNode({ stateDir: join(root.path, '.peerit'), sharedDir: shared, downloadDir: join(root.path, 'downloads') })
    await node.start()
    await node.sync()
    client = await createFileNode()
    await introduce(client, node.libp2p)
  })

  after(async () => {
    await client?.stop()
    await node?.stop()
    await root?.remove()
  })

  const remote = (): ReturnType<typeof peerIdFromString> => peerIdFromString(node.peerId)

  it('serves a shared file', async () => {
    const manifest = await client.services.peeritFile.getManifest(remote(), ids.public)
    assert.equal(manifest.size, 'shared on purpose'.length)
  })

  it('answers not found for a file outside the shared folder, even through a symlink inside it', async () => {
    assert.deepEqual(node.sharedFiles().map(f => f.name).sort(), ['public.txt', 'removed.txt'])
    await assert.rejects(client.services.peeritFile.getManifest(remote(), ids.secret), { name: 'NotFoundError' })
  })

  it('answers not found for a hidden file', async () => {
    await assert.rejects(client.services.peeritFile.getManifest(remote(), ids.hidden), { name: 'NotFoundError' })
  })

  it('a file deleted from the shared folder is unavailable at once and not found after the next sync', async () => {
    const manifest = await client.services.peeritFile.getManifest(remote(), ids.removed)
    await rm(join(root.path, 'shared', 'removed.txt'))
    const pieces = async (): Promise<void> => {
      for await (const _ of client.services.peeritFile.getPieces(remote(), ids.removed, manifest, 0, 1)) {
        // a piece of a removed file must never arrive
      }
    }
    await assert.rejects(pieces(), { name: 'FileUnavailableError' })
    await node.sync()
    await assert.rejects(client.services.peeritFile.getManifest(remote(), ids.removed), { name: 'NotFoundError' })
  })

  it('paths cannot even be asked for: a content id that is not 64 hex digits is refused before anything is sent', async () => {
    for (const bad of ['../../etc/passwd', '/etc/passwd', ids.public.slice(0, 63), `${ids.public}00`]) {
      await assert.rejects(client.services.peeritFile.getManifest(remote(), bad), { name: 'InvalidParametersError', message: /64 lowercase hex digits/ })
    }
  })
})

describe('local files of a daemon are the owner\'s alone', () => {
  const network = new PeerNetwork()
  const isRoot = process.getuid?.() === 0
  after(async () => { await network.close() })

  it('the identity key, socket, pid file, log and state folder are private even under umask 000', async () => {
    const peer = await network.peer()
    const previous = process.umask(0)
    try {
      await peer.start()
    } finally {
      process.umask(previous)
    }
    const modes: Record<string, number> = {}
    for (const name of ['identity.key', 'peerit.sock', 'peerit.pid', 'peerit.log']) {
      modes[name] = (await stat(join(peer.stateDir, name))).mode & 0o777
    }
    modes['.peerit'] = (await stat(peer.stateDir)).mode & 0o777
    assert.deepEqual(modes, { 'identity.key': 0o600, 'peerit.sock': 0o600, 'peerit.pid': 0o600, 'peerit.log': 0o600, '.peerit': 0o700 })
  })

  it('another local user cannot use the socket, even when the state folder is opened up', async (t) => {
    if (!isRoot) {
      t.skip('needs root to run a process as another user (nobody); the socket mode is checked in the test above')
      return
    }
    const peer = network.peers[0]
    const socket = join(peer.stateDir, 'peerit.sock')
    // nobody must be able to run node: the checkout may sit under a 0700 folder, so a copy in a folder of its own.
    const bin = await mkdtemp(join(tmpdir(), 'peerit-node-'))
    t.after(async () => { await rm(bin, { recursive: true, force: true }) })
    const node = join(bin, 'node')
    await copyFile(process.execPath, node)
    await chmod(node, 0o755)
    await chmod(bin, 0o755)
    const script = `require('net').connect(${JSON.stringify(socket)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`
    const tryAs = async (uid: number): Promise<string> => new Promise((resolve, reject) => {
      execFile(node, ['-e', script], { uid, gid: uid, timeout: 10_000, cwd: bin }, (err, stdout) => {
        if (err != null) reject(err)
        else resolve(stdout.trim())
      })
    })
    const nobody = 65534
    assert.equal(await tryAs(nobody), 'EACCES')
    const opened = [dirname(peer.dir), peer.dir, peer.stateDir]
    const modes = await Promise.all(opened.map(async dir => (await stat(dir)).mode & 0o777))
    try {
      // Open every folder on the way (the test root, the peer's, .peerit): only the socket's own mode is left.
      for (const dir of opened) {
        await chmod(dir, 0o755)
      }
      assert.equal(await tryAs(nobody), 'EACCES', 'the socket itself (0600) refuses other users')
      await chmod(socket, 0o666)
      assert.equal(await tryAs(nobody), 'connected', 'the check above could fail: with the socket opened up, nobody gets in')
    } finally {
      await chmod(socket, 0o600)
      for (const [i, dir] of opened.entries()) {
        await chmod(dir, modes[i])
      }
    }
    assert.equal((await peer.json(['status'])).running, true, 'the owner still gets in')
  })
})
