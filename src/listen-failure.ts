import { createServer } from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import { ListenError } from './errors.ts'

/** Why a TCP listen address was refused, as the system said it. */
export interface ListenFailure {
  host: string
  port: number
  /** The errno code: EADDRINUSE (port taken), EADDRNOTAVAIL (IP not on this machine), EACCES (privileged port)… */
  reason?: string
}

/**
 * Finds out why libp2p could not listen: its error carries only a long text
 * with a stack trace per address, so each TCP address is tried once more
 * here, briefly, to get the system's errno. An address that can be bound now
 * (the port was freed meanwhile) gives no reason.
 */
export async function probeListenAddresses (addresses: string[]): Promise<ListenFailure[]> {
  const failures: ListenFailure[] = []
  for (const address of addresses) {
    const target = tcpTarget(address)
    if (target != null) {
      failures.push({ ...target, reason: await probe(target.host, target.port) })
    }
  }
  return failures
}

/** libp2p's listen failure (from `libp2p.start()`), as one line that says which address failed and why. */
export async function listenError (listen: string[], cause: Error): Promise<ListenError> {
  const failure = (await probeListenAddresses(listen)).find(f => f.reason != null)
  if (failure == null) {
    // libp2p's text carries a stack trace per address: keep its first line only.
    return new ListenError(`cannot listen on ${listen.join(', ')}: ${cause.message.split('\n')[0]}`, { cause })
  }
  const why = LISTEN_REASONS[failure.reason ?? ''] ?? failure.reason
  return new ListenError(`cannot listen on ${failure.host} port ${failure.port}: ${why}`, { cause, failure })
}

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'that IP address is not one of this machine\'s',
  EACCES: 'permission denied (ports below 1024 need privileges)'
}

function tcpTarget (address: string): { host: string, port: number } | undefined {
  try {
    const parts = multiaddr(address).getComponents()
    const ip = parts.find(part => part.name === 'ip4' || part.name === 'ip6')
    const tcp = parts.find(part => part.name === 'tcp')
    return ip?.value == null || tcp?.value == null ? undefined : { host: ip.value, port: Number(tcp.value) }
  } catch {
    return undefined
  }
}

async function probe (host: string, port: number): Promise<string | undefined> {
  return new Promise(resolve => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => { resolve(undefined) })
    })
  })
}
