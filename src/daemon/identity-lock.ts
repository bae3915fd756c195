import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AlreadyRunningError, PeeritError } from '../errors.ts'
import { shortSocketDir } from '../ipc/socket-path.ts'
import { isAlive, isDaemonProcess, readPidRecord, sameFolder } from './pid-file.ts'

/** Two node folders hold the same identity key (one was copied from the other) and the other runs. */
export class IdentityInUseError extends PeeritError {
  static readonly code = 'ERR_IDENTITY_IN_USE'
  constructor (message: string) {
    super('IdentityInUseError', IdentityInUseError.code, message)
  }
}

/** A held identity lock; release it when the daemon stops. */
export interface IdentityLock {
  path: string
  release: () => Promise<void>
}

/** Takeover attempts of a stale lock before giving up: another start racing for it wins. */
const ATTEMPTS = 3

/**
 * The per-user folder of identity locks: `$XDG_RUNTIME_DIR/peerit` (cleared at
 * logout and reboot, as stale locks should be) or `$TMPDIR/peerit-<uid>`.
 */
export function identityLockDir (env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR
  return runtime != null && runtime !== '' ? join(runtime, 'peerit') : shortSocketDir()
}

/**
 * Takes the machine-wide lock on a peer id for the daemon of `stateDir`.
 * Two nodes with one identity (a node folder copied with its
 * `.peerit/identity.key`) would fight over the same peer id on the network:
 * peers drop one connection for the other and records name the wrong
 * addresses. The lock is a file named by the peer id in a per-user folder,
 * holding `<pid>\n<state folder>\n`, created with O_EXCL; a lock whose process
 * is no longer a live daemon is stale and taken over.
 */
export async function lockIdentity (peerId: string, stateDir: string, options: { dir?: string } = {}): Promise<IdentityLock> {
  const dir = options.dir ?? identityLockDir()
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const path = join(dir, `${peerId}.lock`)
  const release = async (): Promise<void> => {
    if ((await readPidRecord(path))?.pid === process.pid) {
      await rm(path, { force: true })
    }
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600)
      try {
        await handle.writeFile(`${process.pid}\n${stateDir}\n`)
      } finally {
        await handle.close()
      }
      // Two starts that both found the lock stale may both have removed it and
      // created their own: the one whose lock is there now wins, the other retries.
      if ((await readPidRecord(path))?.pid === process.pid) {
        return { path, release }
      }
      continue
    } catch (err: any) {
      if (err.code !== 'EEXIST') {
        throw err
      }
    }
    const holder = await readPidRecord(path)
    if (holder?.pid === process.pid) {
      return { path, release }
    }
    if (holder != null && isAlive(holder.pid) && await isDaemonProcess(holder.pid)) {
      if (holder.stateDir != null && await sameFolder(holder.stateDir, stateDir)) {
        throw new AlreadyRunningError(`PeerIT is already running for ${stateDir} (pid ${holder.pid})`)
      }
      throw new IdentityInUseError(`another running node has this node's identity (peer id ${peerId}): pid ${holder.pid}, ` +
        `folder ${holder.stateDir ?? 'unknown'}. Was this node folder copied from it? Delete ${join(stateDir, 'identity.key')} ` +
        'to give this node an identity of its own, then start it again')
    }
    await rm(path, { force: true })
  }
  throw new IdentityInUseError(`could not take the identity lock ${path}: another node is starting with the same identity (peer id ${peerId})`)
}
