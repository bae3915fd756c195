import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { callDaemon } from '../context.ts'
import { printJson, printLines, style } from '../output.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface UiArgs extends GlobalOptions {
  open: boolean
  newToken: boolean
}

export const command = 'ui'
export const describe = 'Print (or open) the link that logs a browser into the web UI'

export function builder (y: Argv<GlobalOptions>): Argv<UiArgs> {
  return y
    .option('open', { type: 'boolean', default: false, describe: 'open it in the default browser' })
    .option('new-token', { type: 'boolean', default: false, describe: 'make a new token first: old links and sessions stop working' })
    .epilogue('The link carries a secret token: do not share it. Served on 127.0.0.1 only ("web_ui" in peerConf.json).') as unknown as Argv<UiArgs>
}

export async function handler (argv: UiArgs): Promise<void> {
  const { url, token } = await callDaemon<{ url: string, token: string }>(argv, 'ui', { newToken: argv.newToken })
  const opener = argv.open ? findOpener() : undefined
  if (opener != null) {
    spawn(opener, [url], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref()
  }
  if (argv.json === true) {
    printJson({ url, token })
    return
  }
  printLines(
    argv.newToken ? `${style.green('new token')}: earlier links and browser sessions no longer work.` : 'The PeerIT web UI (this link logs you in; keep it to yourself):',
    url
  )
  if (argv.open) {
    printLines(opener != null ? `Opening it with ${opener}.` : 'No xdg-open or open on this machine: open the link in a browser yourself.')
  }
}

/** The desktop's "open this URL" program, if there is one on the PATH. */
function findOpener (): string | undefined {
  for (const name of process.platform === 'darwin' ? ['open'] : ['xdg-open', 'open']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      try {
        accessSync(join(dir, name), constants.X_OK)
        return join(dir, name)
      } catch {}
    }
  }
  return undefined
}
