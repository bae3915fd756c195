import { PeeritError } from '../errors.ts'

/** `peerit ui` asked a daemon whose config has `"web_ui": false`. */
export class UiDisabledError extends PeeritError {
  static readonly code = 'ERR_UI_DISABLED'
  constructor () {
    super('UiDisabledError', UiDisabledError.code, 'the web UI is off for this node: set "web_ui": true in peerConf.json, then `peerit stop` and `peerit start`')
  }
}

/** The configured `web_ui_port` is taken by another program. */
export class UiPortInUseError extends PeeritError {
  static readonly code = 'ERR_UI_PORT_IN_USE'
  constructor (port: number) {
    super('UiPortInUseError', UiPortInUseError.code, `web_ui_port ${port} is in use by another program: set another port in peerConf.json, or 0 for any free one`)
  }
}
