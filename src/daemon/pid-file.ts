import { existsSync } from 'node:fs'
import { readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

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
 * Whether a live pid is a PeerIT daemon, by its command line (`… daemon …`).
 * Without /proc (macOS) a live pid is trusted.
 */
export async function isDaemonProcess (pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').includes('daemon')
  } catch {
    // No /proc (macOS): trust the live pid. With /proc, an entry that cannot be read has gone.
    return !existsSync('/proc/self/cmdline')
  }
}

/** What a pid file records: the daemon's pid and the state folder it runs for. */
export interface PidRecord {
  pid: number
  /** Absent in pid files written before the folder was recorded. */
  stateDir?: string
}

/** Reads a pid file (`<pid>\n<state folder>\n`); undefined when absent or garbled. */
export async function readPidRecord (path: string): Promise<PidRecord | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return undefined
  }
  const [first, second] = text.split('\n')
  const pid = Number.parseInt(first, 10)
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    return undefined
  }
  return second == null || second === '' ? { pid } : { pid, stateDir: second }
}

/**
 * The pid recorded in a pid file, if that process still runs, is a PeerIT
 * daemon, and runs for the folder the pid file is in. Anything else is stale:
 * a daemon killed with -9 (dead pid, or after pid reuse some other program),
 * or a node folder copied while its daemon ran, whose pid file names the
 * original's daemon, alive but serving the other folder.
 */
export async function livePid (path: string): Promise<number | undefined> {
  const record = await readPidRecord(path)
  if (record == null || !isAlive(record.pid) || !await isDaemonProcess(record.pid)) {
    return undefined
  }
  if (record.stateDir != null && !await sameFolder(record.stateDir, dirname(path))) {
    return undefined
  }
  return record.pid
}

/** Records this process as the daemon of the state folder the pid file is in. */
export async function writePidFile (path: string): Promise<void> {
  await writeFile(path, `${process.pid}\n${await realpath(dirname(path))}\n`, { mode: 0o600 })
}

/** Removes the pid file if it still names this process. */
export async function removePidFile (path: string): Promise<void> {
  if ((await readPidRecord(path))?.pid === process.pid) {
    await rm(path, { force: true })
  }
}

/** Whether two paths name one folder (through symbolic links too). */
export async function sameFolder (a: string, b: string): Promise<boolean> {
  const [realA, realB] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)])
  return realA === realB
}
