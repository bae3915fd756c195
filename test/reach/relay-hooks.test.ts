import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { HOOKED_METHODS } from '../../src/reach/relay-server.ts'
import type { Libp2p } from '@libp2p/interface'

// The relay caps wrap methods of the circuit relay server's (unexported) class. This fails loudly
// when an upgrade of @libp2p/circuit-relay-v2 drops or renames one, before a relay runs uncapped.
const nodes: Libp2p[] = []
after(async () => { await Promise.all(nodes.map(async node => node.stop())) })

it('the circuit relay server still has every method the relay caps hook', async () => {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), relay: circuitRelayServer() }
  })
  nodes.push(node)
  const server = node.services.relay as unknown as Record<string, unknown>
  assert.deepEqual(HOOKED_METHODS.filter(method => typeof server[method] !== 'function'), [], 'methods gone from @libp2p/circuit-relay-v2')
})

it('package.json pins @libp2p/circuit-relay-v2 exactly, to the version installed', async () => {
  const pinned = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).dependencies['@libp2p/circuit-relay-v2']
  const installed = JSON.parse(await readFile(new URL('../../node_modules/@libp2p/circuit-relay-v2/package.json', import.meta.url), 'utf8')).version
  assert.match(pinned, /^\d+\.\d+\.\d+$/, 'an exact version, no range')
  assert.equal(pinned, installed)
})
