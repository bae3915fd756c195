import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.ts'

let root: string
let count = 0

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'peerit-reach-config-'))
})

after(async () => {
  await rm(root, { recursive: true, force: true })
})

async function load (content: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const path = join(root, `peerConf-${++count}.json`)
  await writeFile(path, JSON.stringify(content))
  return await loadConfig(path)
}

async function rejects (content: Record<string, unknown>, key: string, fragment: string): Promise<void> {
  await assert.rejects(load(content), (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err))
    assert.equal(err.code, 'ERR_CONFIG_INVALID')
    assert.equal(err.key, key)
    assert.ok(err.message.includes(key) && err.message.includes(fragment), err.message)
    return true
  })
}

describe('reachability config keys', () => {
  it('reads mdns, relay_server, upnp, announce and public_networks', async () => {
    const { config, warnings } = await load({
      mdns: false,
      relay_server: true,
      upnp: false,
      announce: ['/ip4/192.0.2.7/tcp/4001', '/dns4/peer.example.com/tcp/4001'],
      public_networks: ['10.0.0.0/8', 'fd00::/8']
    })
    // only the created-folder notes: no key is unknown or questioned
    assert.deepEqual(warnings.filter(w => !w.includes('did not exist: created it')), [])
    assert.deepEqual(config.reach, {
      mdns: false,
      relayServer: true,
      upnp: false,
      announce: ['/ip4/192.0.2.7/tcp/4001', '/dns4/peer.example.com/tcp/4001'],
      publicNetworks: ['10.0.0.0/8', 'fd00::/8']
    })
  })

  it('reads the relay caps under limits', async () => {
    const { config } = await load({ limits: { relay_max_reservations: 2, relay_max_circuits: 8, relay_bytes_per_second: 1_048_576, relay_bytes_per_second_per_peer: 0 } })
    assert.deepEqual(config.limits, { relayMaxReservations: 2, relayMaxCircuits: 8, relayBytesPerSecond: 1_048_576, relayBytesPerSecondPerPeer: 0 })
  })

  it('refuses an announce entry that is not a TCP multiaddr, saying which', async () => {
    await rejects({ announce: ['192.0.2.4:4001'] }, 'announce', '"192.0.2.4:4001" is not a multiaddr')
    await rejects({ announce: ['/ip4/192.0.2.7/udp/4001'] }, 'announce', 'a TCP port')
    await rejects({ announce: ['/ip4/192.0.2.7/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'] }, 'announce', 'without /p2p')
    await rejects({ announce: '/ip4/192.0.2.7/tcp/4001' }, 'announce', 'must be an array')
    await rejects({ announce: Array.from({ length: 17 }, (_, i) => `/ip4/192.0.2.7/tcp/${4000 + i}`) }, 'announce', 'at most 16')
  })

  it('refuses a public_networks entry that is not a CIDR network', async () => {
    await rejects({ public_networks: ['10.0.0.0'] }, 'public_networks', 'CIDR form')
    await rejects({ public_networks: ['10.0.0.0/40'] }, 'public_networks', 'longer than 32')
    await rejects({ public_networks: [8] }, 'public_networks', 'must be an array of CIDR networks')
  })

  it('refuses a flag that is not a boolean, and relay caps out of range', async () => {
    await rejects({ mdns: 'yes' }, 'mdns', 'true or false')
    await rejects({ relay_server: 1 }, 'relay_server', 'true or false')
    await rejects({ limits: { relay_max_reservations: 0 } }, 'limits.relay_max_reservations', 'from 1 to')
    await rejects({ limits: { relay_bytes_per_second: 100 } }, 'limits.relay_bytes_per_second', 'from 16384')
  })
})
