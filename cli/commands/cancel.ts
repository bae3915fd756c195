import { controlCommand } from '../download-control.ts'

const cancel = controlCommand({
  method: 'cancel',
  describe: 'Cancel downloads: the transfer stops, the .part file and state are deleted',
  none: 'Nothing to cancel.'
})

export const { command, describe, builder, handler } = cancel
