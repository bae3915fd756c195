/**
 * PeerIT links: one pasteable string that names a file by content id, with
 * its name, size and a few peers that had it when the link was made:
 *
 *   peerit:<contentId>?name=<name>&size=<bytes>&peer=<multiaddr/p2p/id>…
 *
 * Every part is checked on the way in, because a link comes from anywhere:
 * a wrong-length id, an unknown or repeated parameter, a name that is a path
 * or holds control characters, a size that is not a plain number, a peer that
 * is not a multiaddr ending in `/p2p/<peer id>` — each is an
 * {@link InvalidLinkError} that says which part is wrong. The CLI imports this
 * module too, so it must stay free of libp2p and the store.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

/** What every link starts with. */
export const LINK_SCHEME = 'peerit:'

/** Longest link accepted: a few hints fit many times over; a pasted novel does not. */
export const MAX_LINK_LENGTH = 4096

/** Most `peer=` hints in one link. */
export const MAX_LINK_PEERS = 8

/** Longest name, in UTF-8 bytes: what common file systems allow for one file name. */
export const MAX_LINK_NAME_BYTES = 255

/** Longest single `peer=` multiaddr, in characters. */
export const MAX_LINK_PEER_LENGTH = 512

/** Largest size: what the manifest allows (2^53 − 1). */
const MAX_SIZE = Number.MAX_SAFE_INTEGER

/** A parsed link. */
export interface PeeritLink {
  /** 64 lowercase hex digits. */
  contentId: string
  name?: string
  size?: number
  /** Multiaddrs ending in `/p2p/<peer id>`, as given (at most {@link MAX_LINK_PEERS}, no repeats). */
  peers: string[]
}

/** A link that cannot be used, and why. */
export class InvalidLinkError extends Error {
  static readonly code = 'ERR_INVALID_LINK'
  readonly code = InvalidLinkError.code
  constructor (message: string) {
    super(message)
    this.name = 'InvalidLinkError'
  }
}

/** Whether a download target is meant as a link (then it must parse as one). */
export function isLink (text: string): boolean {
  return text.trim().toLowerCase().startsWith(LINK_SCHEME)
}

/** Writes a link; its parts are checked as {@link parseLink} would, so every link made parses. */
export function formatLink (link: PeeritLink): string {
  const params: string[] = []
  if (link.name != null) {
    params.push(`name=${encodePart(checkName(link.name))}`)
  }
  if (link.size != null) {
    params.push(`size=${checkSize(String(link.size))}`)
  }
  for (const peer of checkPeers(link.peers)) {
    params.push(`peer=${encodePart(peer)}`)
  }
  const text = `${LINK_SCHEME}${checkContentId(link.contentId)}${params.length === 0 ? '' : `?${params.join('&')}`}`
  if (text.length > MAX_LINK_LENGTH) {
    throw new InvalidLinkError(`the link would be ${text.length} characters long, over ${MAX_LINK_LENGTH}: use fewer or shorter peer hints`)
  }
  return text
}

/** Parses and checks a link; throws {@link InvalidLinkError} saying what is wrong. */
export function parseLink (input: string): PeeritLink {
  const text = input.trim()
  if (text.length > MAX_LINK_LENGTH) {
    throw new InvalidLinkError(`the link is ${text.length} characters long; a PeerIT link has at most ${MAX_LINK_LENGTH}`)
  }
  if (!text.toLowerCase().startsWith(LINK_SCHEME)) {
    throw new InvalidLinkError(`a PeerIT link starts with "${LINK_SCHEME}"`)
  }
  // Percent-encoding makes every link printable ASCII; anything else was mangled on the way.
  if (!/^[\x21-\x7e]*$/.test(text)) {
    throw new InvalidLinkError('the link holds spaces or characters outside printable ASCII: copy it again as one piece')
  }
  const body = text.slice(LINK_SCHEME.length)
  const question = body.indexOf('?')
  const link: PeeritLink = { contentId: checkContentId(question === -1 ? body : body.slice(0, question)), peers: [] }
  if (question === -1) {
    return link
  }
  const peers: string[] = []
  for (const pair of body.slice(question + 1).split('&')) {
    const equals = pair.indexOf('=')
    const key = equals === -1 ? pair : pair.slice(0, equals)
    if (equals === -1) {
      throw new InvalidLinkError(`the link's parameter "${key.slice(0, 20)}" has no value (write key=value)`)
    }
    const value = decodePart(key, pair.slice(equals + 1))
    if (key === 'name') {
      if (link.name != null) {
        throw new InvalidLinkError('the link gives name twice')
      }
      link.name = checkName(value)
    } else if (key === 'size') {
      if (link.size != null) {
        throw new InvalidLinkError('the link gives size twice')
      }
      link.size = checkSize(value)
    } else if (key === 'peer') {
      peers.push(value)
    } else {
      throw new InvalidLinkError(`the link has an unknown parameter "${key.slice(0, 20)}" (known: name, size, peer)`)
    }
  }
  link.peers = checkPeers(peers)
  return link
}

function checkContentId (id: string): string {
  if (!/^[0-9a-fA-F]*$/.test(id)) {
    throw new InvalidLinkError('the link\'s content id holds characters other than hex digits')
  }
  if (id.length !== 64) {
    throw new InvalidLinkError(`the link's content id has ${id.length} hex digits; a full content id has 64`)
  }
  return id.toLowerCase()
}

function checkName (name: string): string {
  if (name === '' || name === '.' || name === '..') {
    throw new InvalidLinkError(`the link's name ${JSON.stringify(name)} is not a file name`)
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new InvalidLinkError('the link\'s name holds a path separator (/ or \\); a name is one file name')
  }
  if (/\p{Cc}/u.test(name)) {
    throw new InvalidLinkError('the link\'s name holds control characters')
  }
  if (Buffer.byteLength(name) > MAX_LINK_NAME_BYTES) {
    throw new InvalidLinkError(`the link's name is ${Buffer.byteLength(name)} bytes long; at most ${MAX_LINK_NAME_BYTES}`)
  }
  return name
}

function checkSize (text: string): number {
  // Digits only: no sign, exponent, hex or leading zeros, which Number() would accept.
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || Number(text) > MAX_SIZE) {
    throw new InvalidLinkError(`the link's size "${text.slice(0, 20)}" is not a number of bytes from 0 to ${MAX_SIZE}`)
  }
  return Number(text)
}

function checkPeers (peers: string[]): string[] {
  const unique = [...new Set(peers)]
  if (unique.length > MAX_LINK_PEERS) {
    throw new InvalidLinkError(`the link names ${unique.length} peers; at most ${MAX_LINK_PEERS}`)
  }
  return unique.map(checkPeer)
}

function checkPeer (text: string): string {
  if (text.length > MAX_LINK_PEER_LENGTH) {
    throw new InvalidLinkError(`a peer address in the link is ${text.length} characters long; at most ${MAX_LINK_PEER_LENGTH}`)
  }
  let peerId: string | undefined
  try {
    const ma = multiaddr(text)
    // Encoding checks every component (multiaddr parses lazily).
    void ma.bytes
    peerId = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  } catch (err) {
    throw new InvalidLinkError(`the link's peer "${text.slice(0, 60)}" is not a multiaddr (${(err as Error).message})`)
  }
  if (peerId == null || !text.endsWith(`/p2p/${peerId}`)) {
    throw new InvalidLinkError(`the link's peer "${text.slice(0, 60)}" must end with /p2p/<peer id>`)
  }
  try {
    peerIdFromString(peerId)
  } catch {
    throw new InvalidLinkError(`the link's peer "${text.slice(0, 60)}" has an invalid peer id`)
  }
  return text
}

/** Percent-encodes a value, leaving `/` and `:` (common in multiaddrs) readable. */
function encodePart (value: string): string {
  return encodeURIComponent(value).replace(/%2F/g, '/').replace(/%3A/g, ':')
}

function decodePart (key: string, value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw new InvalidLinkError(`the link's ${key.slice(0, 20)} has a broken %-escape`)
  }
}
