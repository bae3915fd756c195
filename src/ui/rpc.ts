import { InvalidParamsError } from '../errors.ts'
import { UiDisabledError } from './errors.ts'
import type { RpcHandler } from '../ipc/server.ts'
import type { UiServer } from './server.ts'

/**
 * The `ui` RPC method behind `peerit ui`: params `{ newToken?: boolean }` →
 * `{ url, token }`, the login URL carrying the token (rotated first with
 * `newToken`). Only the IPC socket has it, never the HTTP API.
 */
export function uiRpcMethods (ui: UiServer | undefined): Record<string, RpcHandler> {
  return {
    ui: async (params) => {
      if (params.newToken != null && typeof params.newToken !== 'boolean') {
        throw new InvalidParamsError('newToken must be true or false')
      }
      if (ui == null) {
        throw new UiDisabledError()
      }
      if (params.newToken === true) {
        await ui.rotateToken()
      }
      return { url: ui.loginUrl(), token: ui.token() }
    }
  }
}
