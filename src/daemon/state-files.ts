import { join } from 'node:path'
import { socketPathFor } from '../ipc/socket-path.ts'

/** The files of a state folder (`.peerit/` beside the config). */
export interface StateFiles {
  stateDir: string
  socket: string
  pid: string
  log: string
  /** The web UI's access token (0600). */
  uiToken: string
  /** The web UI's last port, tried first at the next start. */
  uiPort: string
}

/** Names the files of a state folder; the single place that layout is decided. */
export function stateFiles (stateDir: string): StateFiles {
  return {
    stateDir,
    socket: socketPathFor(stateDir),
    pid: join(stateDir, 'peerit.pid'),
    log: join(stateDir, 'peerit.log'),
    uiToken: join(stateDir, 'ui-token'),
    uiPort: join(stateDir, 'ui-port')
  }
}
