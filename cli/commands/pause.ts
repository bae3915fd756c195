import { controlCommand } from '../download-control.ts'

const pause = controlCommand({
  method: 'pause',
  describe: 'Pause downloads: no more bytes are asked for; the .part file stays (also across restarts)',
  all: 'pause every queued, active, interrupted or failed download (none is resumed at start)',
  none: 'Nothing to pause.'
})

export const { command, describe, builder, handler } = pause
