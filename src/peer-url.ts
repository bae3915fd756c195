import { isIPv4, isIPv6 } from 'node:net'
import { peerIdFromString } from '@libp2p/peer-id'
import { CODE_DNS, CODE_DNS4, CODE_DNS6, CODE_IP4, CODE_IP6, CODE_P2P, CODE_TCP, multiaddr } from '@multiformats/multiaddr'
import type { Component, Multiaddr } from '@multiformats/multiaddr'

/** A peer "url" as a user wrote it, and the multiaddr PeerIT dials for it. */
export interface PeerUrl {
  /** The text as given (before trimming), for messages and for showing back to the user. */
  input: string
  /** What to dial: `/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>`, with `/p2p/<id>` when one was given. */
  multiaddr: Multiaddr
  /** The peer id from `/p2p/<id>`, normalised to its string form; absent when the url names none. */
  peerId?: string
}

/** Thrown when a peer url is neither `host:port` nor a dialable TCP multiaddr. */
export class InvalidPeerUrlError extends Error {
  static readonly code = 'ERR_INVALID_PEER_URL'
  readonly code = InvalidPeerUrlError.code
  constructor (input: string, reason: string) {
    super(`invalid peer url ${JSON.stringify(input)}: ${reason}; ${EXPECTED}`)
    this.name = 'InvalidPeerUrlError'
  }
}

const EXPECTED = 'expected host:port (such as 127.0.0.1:4001, [::1]:4001 or peer.example.com:4001) or a multiaddr such as /ip4/127.0.0.1/tcp/4001'

const HOST_CODES = new Set([CODE_IP4, CODE_IP6, CODE_DNS, CODE_DNS4, CODE_DNS6])

// RFC 1123 host names: labels of letters, digits and inner hyphens, at most 63 characters each.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i
const MAX_DNS_NAME_LENGTH = 253

/**
 * Parses a peer url: `host:port` (an IPv4 address, `[IPv6]:port`, `localhost`
 * or a DNS name) or a TCP multiaddr with or without `/p2p/<id>`.
 * Throws {@link InvalidPeerUrlError} for anything else.
 */
export function parsePeerUrl (input: string): PeerUrl {
  const text = input.trim()
  if (text === '') {
    throw new InvalidPeerUrlError(input, 'it is empty')
  }
  return text.startsWith('/') ? parseMultiaddr(input, text) : parseHostPort(input, text)
}

/** True when two addresses reach the same host and port, whatever their `/p2p/<id>` says. */
export function sameAddress (a: Multiaddr, b: Multiaddr): boolean {
  return a.decapsulateCode(CODE_P2P).equals(b.decapsulateCode(CODE_P2P))
}

function parseMultiaddr (input: string, text: string): PeerUrl {
  let address: Multiaddr
  try {
    address = multiaddr(text)
  } catch (err) {
    throw new InvalidPeerUrlError(input, `not a valid multiaddr (${(err as Error).message})`)
  }
  // PeerIT dials over TCP only, so anything but host/tcp[/p2p] could never connect.
  const [host, transport, p2p, ...rest] = address.getComponents()
  if (host == null || !HOST_CODES.has(host.code) || transport?.code !== CODE_TCP || rest.length > 0 ||
    (p2p != null && p2p.code !== CODE_P2P)) {
    throw new InvalidPeerUrlError(input, 'a multiaddr must be an IP or DNS address, a TCP port and optionally /p2p/<peer id>')
  }
  checkPort(input, transport.value)
  return { input, multiaddr: address, ...peerIdOf(input, p2p) }
}

function peerIdOf (input: string, p2p: Component | undefined): { peerId?: string } {
  if (p2p == null) {
    return {}
  }
  try {
    return { peerId: peerIdFromString(p2p.value ?? '').toString() }
  } catch {
    throw new InvalidPeerUrlError(input, `${JSON.stringify(p2p.value)} is not a valid peer id`)
  }
}

function parseHostPort (input: string, text: string): PeerUrl {
  // An IPv6 host is bracketed because its own colons would hide the port's.
  if (isIPv6(text)) {
    throw bracketsNeeded(input, text)
  }
  const bracketed = /^(\[[^\]]*\])(?::(.*))?$/.exec(text)
  const colon = text.lastIndexOf(':')
  const [host, portText] = bracketed != null
    ? [bracketed[1], bracketed[2] ?? '']
    : colon === -1 ? [text, ''] : [text.slice(0, colon), text.slice(colon + 1)]
  const port = checkPort(input, portText)
  return { input, multiaddr: multiaddr(`/${hostProtocol(input, host)}/tcp/${port}`) }
}

/** The multiaddr prefix (without the leading slash) for the host part of `host:port`. */
function hostProtocol (input: string, host: string): string {
  if (host.startsWith('[') && host.endsWith(']') && isIPv6(host.slice(1, -1)) && !host.includes('%')) {
    return `ip6/${host.slice(1, -1)}`
  }
  if (isIPv6(host)) {
    throw bracketsNeeded(input, host)
  }
  if (isIPv4(host)) {
    return `ip4/${host}`
  }
  // localhost is the loopback address PeerIT listens on by default; writing it as
  // /ip4/127.0.0.1 needs no name lookup and compares equal to the address that peer announces.
  if (host.toLowerCase() === 'localhost') {
    return 'ip4/127.0.0.1'
  }
  if (isDnsName(host)) {
    return `dns/${host.toLowerCase()}`
  }
  throw new InvalidPeerUrlError(input, `${JSON.stringify(host)} is not an IP address or a host name`)
}

function bracketsNeeded (input: string, host: string): InvalidPeerUrlError {
  return new InvalidPeerUrlError(input, `IPv6 addresses go in brackets, then the port, e.g. [${host}]:4001`)
}

function isDnsName (host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  const labels = name.split('.')
  // An all-digit last label is a mistyped IPv4 address (999.1.1.1), never a real name.
  return name.length > 0 && name.length <= MAX_DNS_NAME_LENGTH && labels.every(label => DNS_LABEL.test(label)) &&
    !/^\d+$/.test(labels[labels.length - 1])
}

function checkPort (input: string, text: string | undefined): number {
  const port = /^\d{1,5}$/.test(text ?? '') ? Number(text) : NaN
  if (!(port >= 1 && port <= 65535)) {
    throw new InvalidPeerUrlError(input, text === '' ? 'the port is missing' : `the port must be a number from 1 to 65535, not ${JSON.stringify(text)}`)
  }
  return port
}
