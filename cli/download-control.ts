import { callDaemon } from './context.ts'
import { printJson, printTable, style, UsageError } from './output.ts'
import type { GlobalOptions } from './context.ts'
import type { Argv, CommandModule } from 'yargs'

/** What pause, resume and cancel answer for each download (docs/cli.md). */
interface DownloadChangeView { contentId: string, name: string, status: string }

interface ControlArgs extends GlobalOptions {
  target: string[]
  all?: boolean
}

/** How one of the three commands reads. */
interface ControlVerb {
  method: 'pause' | 'resume' | 'cancel'
  describe: string
  /** What `--all` takes, for its help line; absent when the command has no `--all`. */
  all?: string
  /** Said when nothing matched `--all`. */
  none: string
}

/**
 * `peerit pause|resume|cancel <name|id-prefix>… [--all]`: one RPC call with
 * the targets, one line (or one JSON entry) per download it touched.
 */
export function controlCommand (verb: ControlVerb): CommandModule<GlobalOptions, ControlArgs> {
  return {
    command: `${verb.method} [target..]`,
    describe: verb.describe,
    builder: (y: Argv<GlobalOptions>) => {
      const built = y.positional('target', { type: 'string', array: true, default: [], describe: 'a download\'s name or content-id prefix (see `peerit downloads`)' })
      if (verb.all != null) {
        built.option('all', { type: 'boolean', default: false, describe: verb.all })
      }
      return built
        .example(`$0 ${verb.method} film.mkv`, 'by name')
        .example(`$0 ${verb.method} 3fa9c2`, 'by content-id prefix (4 characters or more)') as unknown as Argv<ControlArgs>
    },
    handler: async (argv) => {
      const targets = argv.target.map(String)
      const all = argv.all === true
      if (targets.length === 0 && !all) {
        throw new UsageError(`name the downloads to ${verb.method} (names or content-id prefixes, see \`peerit downloads\`)${verb.all == null ? '' : ', or pass --all'}`)
      }
      if (targets.length > 0 && all) {
        throw new UsageError('give targets or --all, not both')
      }
      const changes = await callDaemon<DownloadChangeView[]>(argv, verb.method, all ? { all } : { targets })
      if (argv.json === true) {
        printJson(changes)
        return
      }
      printTable(['ID', 'STATUS', 'NAME'], changes.map(c => [c.contentId.slice(0, 12), paint(c.status), c.name]), verb.none)
    }
  }
}

function paint (status: string): string {
  return status === 'completed' ? style.green(status) : status === 'paused' || status === 'cancelled' ? style.yellow(status) : status
}
