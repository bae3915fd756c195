import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { findContentProviders } from '../../src/dht/lookup.ts'
import { ContentProvider } from '../../src/dht/provider.ts'
import { eventually } from '../fixtures/daemons.ts'
import { addressOf, DhtNetwork } from '../fixtures/dht-nodes.ts'
import type { PeerNode } from '../../src/peer-node.ts'
import type { KadDHT } from '@libp2p/kad-dht'

const idOf = (n: number): string => n.toString(16).padStart(64, '0')

describe('the provide queue on real DHT nodes', () => {
  const network = new DhtNetwork()
  let node: PeerNode
  let others: PeerNode[]

  before(async () => {
    const boot = await network.node()
    others = [boot, await network.node({ peers: [addressOf(boot)] }), await network.node({ peers: [addressOf(boot)] })]
    // Its own shared folder stays empty: the queue under test is fed by hand.
    node = await network.node({ peers: [addressOf(boot)] })
    await eventually(async () => (node.status().dht?.routingTablePeers ?? 0) >= 1, { what: 'a DHT peer', timeoutMs: 60_000 })
  })

  after(async () => { await network.close() })

  it('provides newest files first, runs at most `concurrency` at once, and lets later shares jump the queue', async () => {
    const real = node.libp2p.services.dht!
    const order: string[] = []
    let running = 0
    let most = 0
    const watched = new Proxy(real, {
      get: (target, property, receiver) => property !== 'provide'
        ? Reflect.get(target, property, receiver)
        : async function * (...args: Parameters<KadDHT['provide']>) {
          order.push(args[0].multihash.digest.reduce((hex, b) => hex + b.toString(16).padStart(2, '0'), ''))
          most = Math.max(most, ++running)
          try {
            yield * target.provide(...args)
          } finally {
            running--
          }
        }
    }) as KadDHT
    const provider = new ContentProvider({ dht: watched, hasPeers: () => true, log: defaultLogger().forComponent('test'), concurrency: 2 })
    provider.start()
    const files = Array.from({ length: 8 }, (_, i) => ({ id: idOf(i + 1), mtimeMs: 1000 + i }))
    provider.reconcile(files)
    provider.reconcile([...files, { id: idOf(99), mtimeMs: 1 }])
    await provider.onIdle()
    provider.stop()
    assert.deepEqual(order.slice(0, 2), [idOf(8), idOf(7)], 'newest first')
    assert.equal(order[2], idOf(99), 'a file shared later goes before the backlog')
    assert.equal(order.length, 9)
    assert.ok(most <= 2, `at most 2 at once, saw ${most}`)
    assert.deepEqual(provider.stats(), { shared: 9, provided: 9, pending: 0, failed: 0 })
    const found = await findContentProviders(others[2].libp2p.services.dht!, idOf(99))
    assert.deepEqual(found.map(p => p.id.toString()), [node.peerId])
  })

  it('a file no longer shared leaves the counts', async () => {
    const provider = new ContentProvider({ dht: node.libp2p.services.dht!, hasPeers: () => true, log: defaultLogger().forComponent('test') })
    provider.start()
    provider.reconcile([{ id: idOf(200), mtimeMs: 1 }, { id: idOf(201), mtimeMs: 2 }])
    await provider.onIdle()
    provider.reconcile([{ id: idOf(201), mtimeMs: 2 }])
    provider.stop()
    assert.deepEqual(provider.stats(), { shared: 1, provided: 1, pending: 0, failed: 0 })
  })
})

describe('a node with the DHT off', () => {
  const network = new DhtNetwork()
  after(async () => { await network.close() })

  it('mounts no DHT, and says so when asked for something only the DHT can do', async () => {
    const node = await network.node({ dht: { enabled: false } })
    assert.equal(node.libp2p.services.dht, undefined)
    assert.equal(node.status().dht, undefined)
    await assert.rejects(node.connect('12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'), /needs the DHT, which is off/)
    await assert.rejects(node.downloadFile('ab'.repeat(32)), /the DHT is off/)
  })
})
