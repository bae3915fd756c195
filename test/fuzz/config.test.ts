import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { isIP } from 'node:net'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import { loadConfig } from '../../src/config.ts'
import { HeapGuard, OutcomeTally, RejectionTrap, withDeadline } from './guards.ts'
import { fuzzInput } from './mutate.ts'
import { FUZZ_RUNS, LONG_RUN, fuzzParameters } from './runs.ts'
import type { PeerConfig } from '../../src/config.ts'
import type * as FsPromises from 'node:fs/promises'

/**
 * loadConfig creates the folders a config names, and the fuzzer names any
 * path (/etc/…, ../../…). fs/promises' mkdir and chmod are wrapped for this
 * file so that only paths inside the fuzz folder reach the disk; any other
 * path fails as a permission error would, which exercises that error path too.
 */
const fsPromises = createRequire(import.meta.url)('node:fs/promises') as typeof FsPromises
const realMkdir = fsPromises.mkdir
const realChmod = fsPromises.chmod
let root = ''
const outside: string[] = []

function confined<F extends (path: any, ...rest: any[]) => Promise<any>> (real: F): F {
  return (async (path: unknown, ...rest: unknown[]) => {
    const target = resolve(String(path))
    const inside = relative(root, target)
    if (root === '' || inside.startsWith('..') || isAbsolute(inside)) {
      outside.push(target)
      throw Object.assign(new Error(`EACCES: permission denied (fuzz confinement), mkdir '${target}'`), { code: 'EACCES' })
    }
    return real(path, ...rest)
  }) as F
}

const utf8 = new TextEncoder()

/** Values of the right kind for each key, as `peerit init` and hand edits produce them. */
const validValues: Record<string, fc.Arbitrary<unknown>> = {
  listening_ip: fc.constantFrom('127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', '192.168.1.20'),
  listening_port: fc.integer({ min: 0, max: 65535 }),
  shared_dir: fc.constantFrom('./shared', 'shared', 'files/music', './a b', 'ü'),
  download_dir: fc.constantFrom('./downloads', 'dl', './shared/../dl'),
  primary_peer_url: fc.constantFrom('', null, '127.0.0.1:4001', '[::1]:4001', 'localhost:4002', 'peer.example.com:4001', '/ip4/127.0.0.1/tcp/4001',
    '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA', '/dns4/example.org/tcp/1'),
  secondary_peer_url: fc.constantFrom('', null, '127.0.0.1:4001', '10.0.0.2:4001', '/ip6/::1/tcp/9'),
  watch: fc.boolean(),
  server_path: fc.string()
}
const KEYS = Object.keys(validValues)

/** A JSON value nested `depth` deep in objects or arrays. */
function nested (depth: number, array: boolean): string {
  return array ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
}

const anyValue = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 }
)

/** Configs as objects: for any subset of the keys plus unknown ones, valid values or any JSON value (arbitraries built once: a chain per case is slow). */
const configObject = fc.array(fc.oneof(
  ...KEYS.map(key => ({ arbitrary: fc.tuple(fc.constant(key), fc.oneof({ arbitrary: validValues[key], weight: 4 }, { arbitrary: anyValue, weight: 1 })), weight: 3 })),
  { arbitrary: fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString')), anyValue), weight: 2 }
), { maxLength: 10 }).map(entries => Object.fromEntries(entries) as Record<string, unknown>)

/** Config file text: the objects above, serialised plainly, pretty, with a BOM, or as very deep JSON. */
const configText = fc.oneof(
  { arbitrary: configObject.map(object => JSON.stringify(object)), weight: 4 },
  { arbitrary: configObject.map(object => `\uFEFF${JSON.stringify(object, null, 2)}\n`), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom(...KEYS), fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([key, depth, array]) => `{"${key}": ${nested(depth, array)}}`), weight: 1 },
  { arbitrary: fc.jsonValue().map(value => JSON.stringify(value) ?? ''), weight: 1 }
)

function assertValidConfig (config: PeerConfig, configPath: string): void {
  assert.equal(config.configPath, configPath)
  assert.notEqual(isIP(config.listeningIp), 0)
  assert.ok(Number.isInteger(config.listeningPort) && config.listeningPort >= 0 && config.listeningPort <= 65535)
  for (const folder of [config.sharedDir, config.downloadDir, config.stateDir]) assert.ok(isAbsolute(folder))
  assert.ok(config.peers.length <= 2)
  for (const peer of config.peers) assert.ok(peer.multiaddr.toString().startsWith('/'))
  assert.equal(typeof config.watch, 'boolean')
  // the private state folder is never inside the shared one
  const stateInShared = relative(config.sharedDir, config.stateDir)
  assert.ok(stateInShared.startsWith('..') || isAbsolute(stateInShared), 'state folder inside shared_dir')
}

describe('fuzz: config loader', () => {
  const trap = new RejectionTrap()
  let heap: HeapGuard
  let configPath = ''

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peerit-fuzz-config-'))
    configPath = join(root, 'peer', 'peerConf.json')
    await realMkdir(join(root, 'peer'))
    fsPromises.mkdir = confined(realMkdir)
    fsPromises.chmod = confined(realChmod)
    syncBuiltinESMExports()
    heap = new HeapGuard(64 * 2 ** 20)
  })

  after(async () => {
    fsPromises.mkdir = realMkdir
    fsPromises.chmod = realChmod
    syncBuiltinESMExports()
    trap.dispose()
    await rm(root, { recursive: true, force: true })
  })

  it('loadConfig on generated, mutated and random files: a valid config or a ConfigError, nothing else', async () => {
    const tally = new OutcomeTally()
    const input = fuzzInput(configText.map(text => utf8.encode(text)), 256)
    await fc.assert(fc.asyncProperty(input, async bytes => {
      await writeFile(configPath, bytes)
      try {
        const { config, warnings } = await withDeadline(loadConfig(configPath), 10_000, 'loadConfig')
        assertValidConfig(config, configPath)
        assert.ok(warnings.every(warning => typeof warning === 'string'))
        tally.add('ok')
      } catch (err) {
        if ((err as Error).name !== 'ConfigError') {
          throw new Error(`undocumented error escaped loadConfig: ${(err as Error).name}: ${(err as Error).message}`, { cause: err })
        }
        assert.match((err as { code: string }).code, /^ERR_CONFIG_/)
        tally.add(`ConfigError(${(err as { key?: string }).key ?? '-'})`)
      }
    }), fuzzParameters())
    assert.equal(tally.total, FUZZ_RUNS)
    if (LONG_RUN) console.log(tally.summary('config loadConfig'), `confined ${outside.length} folder creations outside the fuzz folder`)
  })

  it('a key nested 100,000 levels deep is a ConfigError, not a stack overflow', async () => {
    await writeFile(configPath, `{"listening_port": ${nested(100_000, false)}}`)
    await assert.rejects(loadConfig(configPath), { name: 'ConfigError', key: 'listening_port' })
  })

  it('left no unhandled rejection and bounded memory', () => {
    trap.assertSilent()
    const growth = heap.assertBounded()
    if (LONG_RUN) console.log(`fuzz config: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`)
  })
})
