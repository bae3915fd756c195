import { readFile, rm, writeFile } from 'node:fs/promises'

/** Whether a process with this pid exists (and is ours to signal). */
export function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}

/**
 * The pid recorded in a pid file, if that process still runs and is a PeerIT
 * daemon. A pid file left by a daemon killed with -9 names a dead process (or,
 * after pid reuse, some other program) and counts as stale.
 */
export async function livePid (path: string): Promise<number | undefined> {
  let pid: number
  try {
    pid = Number.parseInt(await readFile(path, 'utf8'), 10)
  } catch {
    return undefined
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) {
    return undefined
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.includes('daemon') ? pid : undefined
  } catch {
    // No /proc (macOS): trust the live pid.
    return pid
  }
}

/** Records this process as the daemon of a state folder. */
export async function writePidFile (path: string): Promise<void> {
  await writeFile(path, `${process.pid}\n`, { mode: 0o600 })
}

/** Removes the pid file if it still names this process. */
export async function removePidFile (path: string): Promise<void> {
  try {
    if (Number.parseInt(await readFile(path, 'utf8'), 10) === process.pid) {
      await rm(path, { force: true })
    }
  } catch {}
}
