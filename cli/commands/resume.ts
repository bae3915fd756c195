import { controlCommand } from '../download-control.ts'

const resume = controlCommand({
  method: 'resume',
  describe: 'Resume paused downloads in the background (--all: interrupted and failed ones too)',
  all: 'resume every paused, interrupted or failed download',
  none: 'Nothing to resume.'
})

export const { command, describe, builder, handler } = resume
