import { callDaemon } from '../context.ts'
import { formatBytes, printJson, printLines } from '../output.ts'
import { formatRate, parseRate, RATE_FORMS } from '../rate.ts'
import type { GlobalOptions } from '../context.ts'
import type { Argv } from 'yargs'

interface LimitsArgs extends GlobalOptions {
  upload?: string
  download?: string
}

/** The node's total rates (docs/cli.md). */
interface LimitsView { uploadBytesPerSecond: number, downloadBytesPerSecond: number }

export const command = 'limits'
export const describe = 'Show or change the total upload and download rates, at once and across restarts'

export function builder (y: Argv<GlobalOptions>): Argv<LimitsArgs> {
  return y
    .option('upload', { type: 'string', describe: 'total upload rate, e.g. 500KiB, 2MiB, 0 = unlimited' })
    .option('download', { type: 'string', describe: 'total download rate, e.g. 10MiB, 0 = unlimited' })
    .example('$0 limits', 'show them')
    .example('$0 limits --download 2MiB --upload 500KiB', 'change both')
    .example('$0 limits --upload 0', 'no upload limit')
    .epilogue(`RATE: ${RATE_FORMS}. Rates other than 0 are at least 16 KiB. They are written to peerConf.json (limits.upload_bytes_per_second, limits.download_bytes_per_second).`) as unknown as Argv<LimitsArgs>
}

export async function handler (argv: LimitsArgs): Promise<void> {
  const params: Partial<LimitsView> = {}
  if (argv.upload != null) {
    params.uploadBytesPerSecond = parseRate(String(argv.upload), '--upload')
  }
  if (argv.download != null) {
    params.downloadBytesPerSecond = parseRate(String(argv.download), '--download')
  }
  const limits = await callDaemon<LimitsView>(argv, 'limits', params)
  if (argv.json === true) {
    printJson(limits)
    return
  }
  printLines(
    `upload    ${formatRate(limits.uploadBytesPerSecond, formatBytes)}`,
    `download  ${formatRate(limits.downloadBytesPerSecond, formatBytes)}`
  )
}
