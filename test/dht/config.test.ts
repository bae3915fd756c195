import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../../src/config.ts'

let root: string
let count = 0

before(async () => { root = await mkdtemp(join(tmpdir(), 'peerit-dht-config-')) })
after(async () => { await rm(root, { recursive: true, force: true }) })

async function load (content: Record<string, unknown>): ReturnType<typeof loadConfig> {
  const path = join(root, `peerConf-${++count}.json`)
  await writeFile(path, JSON.stringify(content))
  return await loadConfig(path)
}

describe('DHT config keys', () => {
  it('reads dht and dht_mode, defaulting to on and auto', async () => {
    assert.deepEqual((await load({})).config.dht, { enabled: true, mode: 'auto' })
    assert.deepEqual((await load({ dht: false, dht_mode: 'client' })).config.dht, { enabled: false, mode: 'client' })
    assert.deepEqual((await load({ dht_mode: 'server' })).config.dht, { enabled: true, mode: 'server' })
  })

  it('refuses a wrong value, naming the key', async () => {
    for (const [content, key, fragment] of [[{ dht: 'yes' }, 'dht', 'true or false'], [{ dht_mode: 'lan' }, 'dht_mode', '"auto", "server" or "client"']] as const) {
      await assert.rejects(load(content), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.equal(err.key, key)
        assert.ok(err.message.includes(fragment), err.message)
        return true
      })
    }
  })
})
