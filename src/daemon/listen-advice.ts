import { ListenError } from '../errors.ts'

/**
 * Rewords a node's listen failure for the daemon's user, who fixes it in
 * `peerConf.json`: one line that names the key to change and how.
 */
export function withConfigAdvice (err: ListenError, configPath: string): ListenError {
  const failure = err.failure
  if (failure == null) {
    return new ListenError(`${err.message}: check listening_ip and listening_port in ${configPath}`, { cause: err })
  }
  const { host, port, reason } = failure
  const advice: Record<string, string> = {
    EADDRINUSE: `listening_port ${port} is already in use on ${host} (by another program or another PeerIT node): set another listening_port in ${configPath}, or 0 to pick a free port at each start`,
    EADDRNOTAVAIL: `listening_ip ${host} is not an address of this machine: set listening_ip in ${configPath} to one it has, such as 127.0.0.1, or 0.0.0.0 for every interface`,
    EACCES: `listening_port ${port} needs privileges on ${host} (ports below 1024 do): set listening_port in ${configPath} to 1024 or above, or 0`
  }
  return new ListenError(advice[reason ?? ''] ?? `${err.message}: check listening_ip and listening_port in ${configPath}`, { cause: err, failure })
}
