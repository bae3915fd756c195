import { join } from 'node:path'

/**
 * sun_path holds 108 bytes on Linux (104 on macOS) including the NUL: past
 * that, bind() fails or silently truncates. 100 leaves room for both.
 */
const MAX_SOCKET_PATH_BYTES = 100

/**
 * Where the daemon of a state folder listens. Normally `<stateDir>/peerit.sock`;
 * when that path is too long for a Unix socket, a short path in a private
 * (0700) folder under the temp dir, named by a hash of the state folder so
 * the daemon and every client compute the same one.
 */
export function socketPathFor (stateDir: string): string {
  const inside = join(stateDir, 'peerit.sock')
  if (Buffer.byteLength(inside) <= MAX_SOCKET_PATH_BYTES) {
    return inside
  }
  // Loaded only on this rare path: node:crypto costs every short CLI command ~5 ms to load.
  const { createHash } = process.getBuiltinModule('node:crypto')
  const digest = createHash('sha256').update(stateDir).digest('hex').slice(0, 20)
  return join(shortSocketDir(), `${digest}.sock`)
}

/** The private folder that holds sockets of deep state folders. */
export function shortSocketDir (): string {
  // node:os, like node:crypto above, only on this rare path.
  const { tmpdir, userInfo } = process.getBuiltinModule('node:os')
  return join(tmpdir(), `peerit-${userInfo().uid}`)
}
