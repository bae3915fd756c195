import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CONFIG_FILE_NAME, ConfigError, loadConfig, parseConfig, resolveConfigPath, writeInitialConfig } from '../src/config.ts'
import type { ConfigErrorCode, InitOptions } from '../src/config.ts'

let root: string
let folderCount = 0

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'peerit-config-'))
})

after(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A fresh, empty folder for one test. */
async function freshFolder (): Promise<string> {
  const folder = join(root, `case-${++folderCount}`)
  await mkdir(folder)
  return folder
}

/**
 * Writes `content` (an object is written as JSON) to peerConf.json in a fresh folder and returns its path.
 * The default shared and download folders exist, as `peerit init` leaves them (a missing one is warned about).
 */
async function configFile (content: unknown): Promise<string> {
  const folder = await freshFolder()
  await mkdir(join(folder, 'shared'))
  await mkdir(join(folder, 'downloads'))
  const path = join(folder, CONFIG_FILE_NAME)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** Asserts that `promise` rejects with a ConfigError of `code` whose message contains every fragment. */
async function assertConfigError (promise: Promise<unknown>, code: ConfigErrorCode, ...fragments: string[]): Promise<ConfigError> {
  let caught: unknown
  await assert.rejects(promise, err => {
    caught = err
    return true
  })
  assert.ok(caught instanceof ConfigError, String(caught))
  assert.equal(caught.name, 'ConfigError')
  assert.equal(caught.code, code, caught.message)
  for (const fragment of fragments) {
    assert.ok(caught.message.includes(fragment), `${JSON.stringify(caught.message)} should contain ${JSON.stringify(fragment)}`)
  }
  return caught
}

describe('loadConfig', () => {
  it('fills in defaults for an empty object, relative to the config folder', async () => {
    const path = await configFile({})
    const folder = join(path, '..')
    const { config, warnings } = await loadConfig(path)
    assert.deepEqual(warnings, [])
    assert.deepEqual(config, {
      configPath: path,
      listeningIp: '127.0.0.1',
      listeningPort: 4001,
      sharedDir: join(folder, 'shared'),
      downloadDir: join(folder, 'downloads'),
      peers: [],
      watch: false,
      shareDownloads: true,
      providerMaxAgeMs: 24 * 3_600_000,
      stateDir: join(folder, '.peerit'),
      limits: {},
      webUi: true,
      webUiPort: 0,
      reach: { mdns: true, relayServer: false, upnp: true, announce: [], publicNetworks: [] },
      dht: { enabled: true, mode: 'auto' }
    })
  })

  it('reads every original key and watch', async () => {
    // An absolute folder is kept as is; it points inside the temp root so the test creates nothing elsewhere.
    const shared = join(root, 'absolute-shared')
    const path = await configFile({
      listening_ip: '0.0.0.0',
      listening_port: 0,
      shared_dir: shared,
      download_dir: 'in/coming',
      primary_peer_url: '127.0.0.1:4002',
      secondary_peer_url: '/ip4/127.0.0.1/tcp/4003',
      watch: true
    })
    const { config } = await loadConfig(path)
    assert.equal(config.listeningIp, '0.0.0.0')
    assert.equal(config.listeningPort, 0)
    assert.equal(config.sharedDir, shared)
    assert.equal(config.downloadDir, join(path, '..', 'in', 'coming'))
    assert.deepEqual(config.peers.map(peer => peer.multiaddr.toString()), ['/ip4/127.0.0.1/tcp/4002', '/ip4/127.0.0.1/tcp/4003'])
    assert.deepEqual(config.peers.map(peer => peer.input), ['127.0.0.1:4002', '/ip4/127.0.0.1/tcp/4003'])
    assert.equal(config.watch, true)
  })

  it('resolves relative folders against the config file, not the working directory', async () => {
    const path = await configFile({ shared_dir: '../sibling-shared', download_dir: './nested/downloads' })
    const folder = join(path, '..')
    const { config } = await loadConfig(path)
    assert.notEqual(process.cwd(), folder)
    assert.equal(config.sharedDir, join(folder, '..', 'sibling-shared'))
    assert.equal(config.downloadDir, join(folder, 'nested', 'downloads'))
  })

  it('accepts a relative config path and returns it absolute', async () => {
    const path = await configFile({})
    const { config } = await loadConfig(relative(process.cwd(), path))
    assert.equal(config.configPath, path)
  })

  it('treats "" and null peer urls as none', async () => {
    const { config } = await loadConfig(await configFile({ primary_peer_url: '', secondary_peer_url: null }))
    assert.deepEqual(config.peers, [])
  })

  it('maps listening_ip localhost to 127.0.0.1 and accepts IPv6', async () => {
    assert.equal((await loadConfig(await configFile({ listening_ip: 'localhost' }))).config.listeningIp, '127.0.0.1')
    assert.equal((await loadConfig(await configFile({ listening_ip: '::' }))).config.listeningIp, '::')
  })

  it('creates the shared, download and state folders, the state folder private', async () => {
    const { config } = await loadConfig(await configFile({ shared_dir: 'a/b/shared', download_dir: 'c/downloads' }))
    for (const folder of [config.sharedDir, config.downloadDir, config.stateDir]) {
      assert.ok((await stat(folder)).isDirectory(), folder)
    }
    assert.equal((await stat(config.stateDir)).mode & 0o777, 0o700)
  })

  it('tightens an existing state folder to 0700', async () => {
    const path = await configFile({})
    const stateDir = join(path, '..', '.peerit')
    await mkdir(stateDir, { mode: 0o755 })
    await chmod(stateDir, 0o755)
    await loadConfig(path)
    assert.equal((await stat(stateDir)).mode & 0o777, 0o700)
  })

  it('accepts a file saved with a byte-order mark', async () => {
    const { config } = await loadConfig(await configFile('\uFEFF{"listening_port": 4100}'))
    assert.equal(config.listeningPort, 4100)
  })

  it('warns about each unknown key and names the file', async () => {
    const path = await configFile({ listening_port: 4001, foo: 1, listen_port: 2 })
    const { warnings } = await loadConfig(path)
    assert.deepEqual(warnings, [`unknown key 'foo' in ${path} (ignored)`, `unknown key 'listen_port' in ${path} (ignored)`])
  })

  it('does not mistake inherited object properties for known keys', async () => {
    const path = await configFile('{"toString": 1, "__proto__": {"listening_port": 1}}')
    const { config, warnings } = await loadConfig(path)
    assert.equal(config.listeningPort, 4001)
    assert.equal(warnings.length, 2)
  })

  it('accepts server_path silently', async () => {
    const { warnings } = await loadConfig(await configFile({ server_path: '/opt/peerit/server' }))
    assert.deepEqual(warnings, [])
  })

  it('warns when both peer urls are the same address', async () => {
    const path = await configFile({ primary_peer_url: 'localhost:4002', secondary_peer_url: '/ip4/127.0.0.1/tcp/4002' })
    const { warnings } = await loadConfig(path)
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /primary_peer_url and secondary_peer_url .* are the same address/)
  })

  it('tells the user to run peerit init when the file is missing, naming the path', async () => {
    const path = join(await freshFolder(), CONFIG_FILE_NAME)
    await assertConfigError(loadConfig(path), 'ERR_CONFIG_MISSING', 'peerit init', path)
  })

  it('treats a missing parent folder as a missing file', async () => {
    const path = join(await freshFolder(), 'no-such-folder', CONFIG_FILE_NAME)
    await assertConfigError(loadConfig(path), 'ERR_CONFIG_MISSING', 'peerit init')
  })

  it('rejects a config path that is a folder', async () => {
    const folder = await freshFolder()
    await assertConfigError(loadConfig(folder), 'ERR_CONFIG_INVALID', folder)
  })

  it('rejects an empty file', async () => {
    for (const content of ['', '  \n\t']) {
      await assertConfigError(loadConfig(await configFile(content)), 'ERR_CONFIG_INVALID', 'is empty')
    }
  })

  it('rejects malformed JSON and says where', async () => {
    const path = await configFile('{\n  "listening_port": 4001,\n}')
    await assertConfigError(loadConfig(path), 'ERR_CONFIG_INVALID', 'is not valid JSON', 'line 3 column 1', path)
    await assertConfigError(loadConfig(await configFile('{"listening_port": ')), 'ERR_CONFIG_INVALID', 'is not valid JSON')
  })

  it('rejects JSON that is not an object', async () => {
    for (const [content, found] of [['[]', 'an array'], ['null', 'null'], ['4001', '4001'], ['"peer"', '"peer"']]) {
      await assertConfigError(loadConfig(await configFile(content)), 'ERR_CONFIG_INVALID', 'must hold a JSON object', `not ${found}`)
    }
  })

  const wrongValues: Array<[string, unknown, string]> = [
    ['listening_ip', 42, 'an IP address'],
    ['listening_ip', 'peer.example.com', 'an IP address'],
    ['listening_ip', '999.0.0.1', 'an IP address'],
    ['listening_port', '4001', 'an integer from 0 to 65535'],
    ['listening_port', 70000, 'an integer from 0 to 65535'],
    ['listening_port', -1, 'an integer from 0 to 65535'],
    ['listening_port', 40.5, 'an integer from 0 to 65535'],
    ['listening_port', null, 'an integer from 0 to 65535'],
    ['shared_dir', 5, 'a folder path'],
    ['shared_dir', '', 'a folder path'],
    ['download_dir', ['downloads'], 'a folder path'],
    ['download_dir', {}, 'a folder path'],
    ['primary_peer_url', 4002, 'host:port, a multiaddr'],
    ['secondary_peer_url', true, 'host:port, a multiaddr'],
    ['watch', 'yes', 'true or false'],
    ['watch', 1, 'true or false'],
    ['web_ui', 'no', 'true or false'],
    ['web_ui_port', 65536, 'an integer from 0 to 65535'],
    ['web_ui_port', '8080', 'an integer from 0 to 65535']
  ]
  for (const [key, value, expected] of wrongValues) {
    it(`rejects ${key} = ${JSON.stringify(value)}, naming the key`, async () => {
      const path = await configFile({ [key]: value })
      const err = await assertConfigError(loadConfig(path), 'ERR_CONFIG_INVALID', `${key} in ${path} must be ${expected}`)
      assert.equal(err.key, key)
    })
  }

  for (const key of ['primary_peer_url', 'secondary_peer_url']) {
    it(`rejects a malformed ${key}, naming the key`, async () => {
      const err = await assertConfigError(loadConfig(await configFile({ [key]: 'not a url' })), 'ERR_CONFIG_INVALID', key, 'invalid peer url "not a url"')
      assert.equal(err.key, key)
    })
  }

  it('refuses a shared_dir that contains the state folder', async () => {
    const err = await assertConfigError(loadConfig(await configFile({ shared_dir: '.' })), 'ERR_CONFIG_INVALID', 'must not contain the state folder')
    assert.equal(err.key, 'shared_dir')
  })

  it('accepts a shared_dir whose name merely starts with two dots', async () => {
    const path = await configFile({})
    const nested = join(path, '..', 'inner')
    await mkdir(nested)
    const innerPath = join(nested, CONFIG_FILE_NAME)
    await writeFile(innerPath, JSON.stringify({ shared_dir: '../..shared' }))
    const { config } = await loadConfig(innerPath)
    assert.equal(config.sharedDir, join(path, '..', '..shared'))
  })

  it('reports a shared_dir that cannot be created, naming the key', async () => {
    const path = await configFile({ shared_dir: 'taken' })
    await writeFile(join(path, '..', 'taken'), 'a file, not a folder')
    const err = await assertConfigError(loadConfig(path), 'ERR_CONFIG_INVALID', 'cannot create shared_dir')
    assert.equal(err.key, 'shared_dir')
  })
})

describe('parseConfig (the schema alone)', () => {
  it('checks an object and names the key at fault without touching the disk', async () => {
    const folder = join(root, 'never-created')
    const { config, warnings } = parseConfig({ shared_dir: './music', colour: 'red' }, join(folder, CONFIG_FILE_NAME))
    assert.equal(config.sharedDir, join(folder, 'music'))
    assert.deepEqual(warnings, [`unknown key 'colour' in ${join(folder, CONFIG_FILE_NAME)} (ignored)`])
    await assert.rejects(stat(folder), { code: 'ENOENT' })
    assert.throws(() => parseConfig({ listening_port: 70000 }, join(folder, CONFIG_FILE_NAME)),
      { name: 'ConfigError', code: 'ERR_CONFIG_INVALID', key: 'listening_port' })
  })
})

describe('resolveConfigPath', () => {
  it('uses --config before PEERIT_CONFIG before ./peerConf.json', () => {
    const cwd = '/home/user/peer'
    assert.equal(resolveConfigPath({ config: '/etc/a.json', env: { PEERIT_CONFIG: '/etc/b.json' }, cwd }), '/etc/a.json')
    assert.equal(resolveConfigPath({ env: { PEERIT_CONFIG: '/etc/b.json' }, cwd }), '/etc/b.json')
    assert.equal(resolveConfigPath({ env: {}, cwd }), '/home/user/peer/peerConf.json')
  })

  it('resolves relative paths against cwd and ignores empty values', () => {
    const cwd = '/home/user/peer'
    assert.equal(resolveConfigPath({ config: 'conf/a.json', env: {}, cwd }), '/home/user/peer/conf/a.json')
    assert.equal(resolveConfigPath({ env: { PEERIT_CONFIG: '../b.json' }, cwd }), '/home/user/b.json')
    assert.equal(resolveConfigPath({ config: '', env: { PEERIT_CONFIG: '' }, cwd }), '/home/user/peer/peerConf.json')
  })

  it('finds the nearest peerConf.json above cwd, as git finds its repository', async () => {
    const node = await freshFolder()
    const deep = join(node, 'shared', 'albums', 'one')
    await mkdir(deep, { recursive: true })
    await writeFile(join(node, CONFIG_FILE_NAME), '{}')
    assert.equal(resolveConfigPath({ env: {}, cwd: deep }), join(node, CONFIG_FILE_NAME))
    assert.equal(resolveConfigPath({ env: {}, cwd: deep, upwards: false }), join(deep, CONFIG_FILE_NAME))
    // A folder named peerConf.json is not a config; the environment still wins over the search.
    await mkdir(join(deep, '..', CONFIG_FILE_NAME))
    assert.equal(resolveConfigPath({ env: {}, cwd: deep }), join(node, CONFIG_FILE_NAME))
    assert.equal(resolveConfigPath({ env: { PEERIT_CONFIG: '/etc/b.json' }, cwd: deep }), '/etc/b.json')
  })

  it('reads a folder as the peerConf.json inside it', async () => {
    const folder = await freshFolder()
    assert.equal(resolveConfigPath({ config: folder, env: {} }), join(folder, CONFIG_FILE_NAME))
    assert.equal(resolveConfigPath({ env: { PEERIT_CONFIG: folder } }), join(folder, CONFIG_FILE_NAME))
  })

  it('defaults to the process environment and working directory', () => {
    const saved = process.env.PEERIT_CONFIG
    delete process.env.PEERIT_CONFIG
    try {
      assert.equal(resolveConfigPath(), join(process.cwd(), CONFIG_FILE_NAME))
    } finally {
      if (saved != null) {
        process.env.PEERIT_CONFIG = saved
      }
    }
  })
})

describe('writeInitialConfig', () => {
  it('writes the original keys with PeerIT defaults, and loadConfig reads them back', async () => {
    const path = join(await freshFolder(), CONFIG_FILE_NAME)
    const result = await writeInitialConfig(path, {})
    const expected = {
      listening_ip: '127.0.0.1',
      listening_port: 4001,
      shared_dir: './shared',
      download_dir: './downloads',
      primary_peer_url: '',
      secondary_peer_url: '',
      watch: false,
      share_downloads: true,
      provider_max_age_hours: 24,
      web_ui: true,
      web_ui_port: 0
    }
    assert.deepEqual(result, { path, raw: expected })
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), expected)
    const { config, warnings } = await loadConfig(path)
    // The first load creates the folders and says so; the next one has nothing to say.
    assert.deepEqual(warnings, [
      `shared_dir ${join(path, '..', 'shared')} did not exist: created it (from ${path})`,
      `download_dir ${join(path, '..', 'downloads')} did not exist: created it (from ${path})`
    ])
    assert.deepEqual((await loadConfig(path)).warnings, [])
    assert.equal(config.listeningPort, 4001)
    assert.equal(config.sharedDir, join(path, '..', 'shared'))
  })

  it('expands ~ and ~/ in folder keys to the home folder, and nothing else', async () => {
    const path = await configFile({ shared_dir: '~/peerit-test-music-does-not-exist/..', download_dir: '~' })
    const { config } = await loadConfig(path)
    assert.equal(config.sharedDir, homedir())
    assert.equal(config.downloadDir, homedir())
    const other = await configFile({ shared_dir: '~bob/music' })
    assert.equal((await loadConfig(other)).config.sharedDir, join(other, '..', '~bob', 'music'))
  })

  it('writes the flags it is given, peers as primary then secondary', async () => {
    const path = join(await freshFolder(), 'nested', 'peerA', CONFIG_FILE_NAME)
    const { raw } = await writeInitialConfig(path, { ip: '0.0.0.0', port: 0, sharedDir: 'music', downloadDir: '/tmp/x', peers: ['localhost:4002', '/ip4/127.0.0.1/tcp/4003'], watch: true })
    assert.deepEqual(raw, {
      listening_ip: '0.0.0.0',
      listening_port: 0,
      shared_dir: 'music',
      download_dir: '/tmp/x',
      primary_peer_url: 'localhost:4002',
      secondary_peer_url: '/ip4/127.0.0.1/tcp/4003',
      watch: true,
      share_downloads: true,
      provider_max_age_hours: 24,
      web_ui: true,
      web_ui_port: 0
    })
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), raw)
  })

  it('refuses to overwrite an existing file without force, leaving it untouched', async () => {
    const path = await configFile({ listening_port: 5000 })
    const err = await assertConfigError(writeInitialConfig(path, { port: 6000 }), 'ERR_CONFIG_EXISTS', '--force', path)
    assert.equal(err.path, path)
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { listening_port: 5000 })
  })

  it('overwrites with force and leaves no temporary file behind', async () => {
    const path = await configFile({ listening_port: 5000 })
    await writeInitialConfig(path, { port: 6000, force: true })
    assert.equal(JSON.parse(await readFile(path, 'utf8')).listening_port, 6000)
    assert.deepEqual((await readdir(join(path, '..'))).sort(), ['downloads', CONFIG_FILE_NAME, 'shared'].sort())
  })

  it('rejects more than two peers and writes nothing', async () => {
    const folder = await freshFolder()
    await assertConfigError(writeInitialConfig(join(folder, CONFIG_FILE_NAME), { peers: ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'] }), 'ERR_CONFIG_INVALID', 'at most 2 peers', 'peerit connect')
    assert.deepEqual(await readdir(folder), [])
  })

  it('rejects a bad peer url, ip or port with the key it would be written to', async () => {
    const folder = await freshFolder()
    const path = join(folder, CONFIG_FILE_NAME)
    const cases: Array<[InitOptions, string]> = [
      [{ peers: ['127.0.0.1:1', 'nope'] }, 'secondary_peer_url'],
      [{ port: 65536 }, 'listening_port'],
      [{ port: Number.NaN }, 'listening_port'],
      [{ ip: 'my-laptop' }, 'listening_ip'],
      [{ sharedDir: '' }, 'shared_dir']
    ]
    for (const [options, key] of cases) {
      const err = await assertConfigError(writeInitialConfig(path, options), 'ERR_CONFIG_INVALID', key)
      assert.equal(err.key, key)
    }
    assert.deepEqual(await readdir(folder), [])
  })

  it('shows a port that is not a number (yargs gives NaN for --port abc) as NaN', async () => {
    const path = join(await freshFolder(), CONFIG_FILE_NAME)
    await assertConfigError(writeInitialConfig(path, { port: Number.NaN }), 'ERR_CONFIG_INVALID', 'must be an integer from 0 to 65535 (0 picks a free port), not NaN')
  })
})

describe('loadConfig limits', () => {
  it('reads every limits key into camelCase and leaves unset keys to the defaults', async () => {
    const limits = {
      max_connections: 50,
      max_incoming_pending_connections: 4,
      inbound_connections_per_second: 2,
      max_inbound_streams_per_connection: 64,
      fetch_requests_per_minute: 600,
      max_concurrent_fetches_per_peer: 4,
      max_concurrent_fetches: 32,
      file_requests_per_minute: 120,
      max_concurrent_file_requests_per_peer: 2,
      max_concurrent_file_requests: 16,
      upload_bytes_per_second: 1_048_576,
      upload_bytes_per_second_per_peer: 262_144,
      strikes_before_ban: 5,
      strike_window_seconds: 30,
      ban_seconds: 120
    }
    const { config, warnings } = await loadConfig(await configFile({ limits }))
    assert.deepEqual(warnings, [])
    assert.deepEqual(config.limits, {
      maxConnections: 50,
      maxIncomingPendingConnections: 4,
      inboundConnectionsPerSecond: 2,
      maxInboundStreamsPerConnection: 64,
      fetchRequestsPerMinute: 600,
      maxConcurrentFetchesPerPeer: 4,
      maxConcurrentFetches: 32,
      fileRequestsPerMinute: 120,
      maxConcurrentFileRequestsPerPeer: 2,
      maxConcurrentFileRequests: 16,
      uploadBytesPerSecond: 1_048_576,
      uploadBytesPerSecondPerPeer: 262_144,
      strikesBeforeBan: 5,
      strikeWindowSeconds: 30,
      banSeconds: 120
    })
  })

  it('sets only the keys the file gives, and treats a null limits object as none', async () => {
    assert.deepEqual((await loadConfig(await configFile({ limits: { ban_seconds: 30 } }))).config.limits, { banSeconds: 30 })
    assert.deepEqual((await loadConfig(await configFile({ limits: null }))).config.limits, {})
  })

  it('accepts 0 where it means "off": unlimited upload, no request rate, never ban', async () => {
    const { config } = await loadConfig(await configFile({ limits: { upload_bytes_per_second: 0, fetch_requests_per_minute: 0, strikes_before_ban: 0 } }))
    assert.deepEqual(config.limits, { uploadBytesPerSecond: 0, fetchRequestsPerMinute: 0, strikesBeforeBan: 0 })
  })

  it('warns about an unknown limits key, naming it with its prefix', async () => {
    const path = await configFile({ limits: { max_conections: 10 } })
    const { config, warnings } = await loadConfig(path)
    assert.deepEqual(warnings, [`unknown key 'limits.max_conections' in ${path} (ignored)`])
    assert.deepEqual(config.limits, {})
  })

  it('rejects a limits value that is not an object', async () => {
    for (const value of [5, 'fast', [1]]) {
      const err = await assertConfigError(loadConfig(await configFile({ limits: value })), 'ERR_CONFIG_INVALID', 'limits', 'must be an object')
      assert.equal(err.key, 'limits')
    }
  })

  const invalid: Array<[string, unknown, string]> = [
    ['max_connections', 0, 'from 1 to 100000'],
    ['max_connections', 2.5, 'an integer'],
    ['max_connections', '300', 'an integer'],
    ['ban_seconds', -1, 'from 1 to'],
    ['fetch_requests_per_minute', 3, '(or 0: no limit)'],
    ['upload_bytes_per_second', 1000, 'from 16384'],
    ['upload_bytes_per_second_per_peer', Number.MAX_SAFE_INTEGER, 'to 1099511627776'],
    ['max_inbound_streams_per_connection', 4, 'from 16'],
    ['strike_window_seconds', 0, 'from 1 to 86400'],
    ['file_requests_per_minute', null, 'not null']
  ]
  for (const [key, value, fragment] of invalid) {
    it(`rejects limits.${key} = ${JSON.stringify(value)}, naming the key`, async () => {
      const err = await assertConfigError(loadConfig(await configFile({ limits: { [key]: value } })), 'ERR_CONFIG_INVALID', `limits.${key}`, fragment)
      assert.equal(err.key, `limits.${key}`)
    })
  }
})
