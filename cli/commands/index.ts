import * as block from './block.ts'
import * as cancel from './cancel.ts'
import * as connect from './connect.ts'
import * as daemon from './daemon.ts'
import * as demo from './demo.ts'
import * as disconnect from './disconnect.ts'
import * as download from './download.ts'
import * as downloads from './downloads.ts'
import * as fetch from './fetch.ts'
import * as init from './init.ts'
import * as limits from './limits.ts'
import * as link from './link.ts'
import * as list from './list.ts'
import * as pause from './pause.ts'
import * as resume from './resume.ts'
import * as search from './search.ts'
import * as share from './share.ts'
import * as start from './start.ts'
import * as status from './status.ts'
import * as stop from './stop.ts'
import * as sync from './sync.ts'
import * as ui from './ui.ts'
import * as unblock from './unblock.ts'
import type { CommandModule } from 'yargs'

/** Every `peerit` command, in the order `--help` lists them. */
export const commands = [
  init, start, daemon, stop, status, connect, disconnect, block, unblock, list, sync, share, fetch, search, link, download, downloads, pause, resume, cancel, limits, ui, demo
] as unknown as Array<CommandModule<any, any>>
