import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidParamsError } from './errors.ts'

/** The shortest peer-id prefix accepted: shorter ones are all but certain to match by chance (every Ed25519 id starts `12D3KooW`). */
const MIN_PEER_PREFIX = 12

/**
 * Turns what a user typed for a peer into its full id: a whole peer id, a
 * unique prefix of a known peer's id (at least 12 characters), or the short
 * form tables print (`12D3KooW…a1b2c3`, first and last characters). Throws
 * InvalidParamsError at once (a usage error) for anything else, naming the
 * candidates when a prefix is ambiguous.
 */
export function resolvePeerId (input: string, known: Iterable<string>): string {
  const wanted = input.trim()
  try {
    return peerIdFromString(wanted).toString()
  } catch {}
  const short = /^(\w+)(?:…|\.\.\.)(\w+)$/.exec(wanted)
  const matches = (id: string): boolean => short != null
    ? id.startsWith(short[1]) && id.endsWith(short[2])
    : wanted.length >= MIN_PEER_PREFIX && id.startsWith(wanted)
  const found = [...new Set(known)].filter(matches)
  if (found.length === 1) {
    return found[0]
  }
  if (found.length > 1) {
    throw new InvalidParamsError(`"${wanted}" is the start of ${found.length} peer ids (${found.join(', ')}): give more of it`)
  }
  const hint = short == null && wanted.length < MIN_PEER_PREFIX ? ` (a prefix needs ${MIN_PEER_PREFIX} characters or more)` : ''
  throw new InvalidParamsError(`"${wanted}" is not a peer id, nor the start of a known one${hint}: \`peerit list peers --json\` shows full ids`)
}
