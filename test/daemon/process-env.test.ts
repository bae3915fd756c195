import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { daemonProcessEnv } from '../../src/daemon/process-env.ts'

describe('daemonProcessEnv', () => {
  it('adds a small young generation and two malloc arenas to what the user set', () => {
    const env = daemonProcessEnv({ PATH: '/bin', NODE_OPTIONS: '--enable-source-maps' })
    assert.equal(env.PATH, '/bin')
    assert.equal(env.NODE_OPTIONS, '--enable-source-maps --max-semi-space-size=8')
    assert.equal(env.MALLOC_ARENA_MAX, '2')
    assert.equal(daemonProcessEnv({}).NODE_OPTIONS, '--max-semi-space-size=8')
  })

  it('leaves the user\'s own settings alone', () => {
    const env = daemonProcessEnv({ NODE_OPTIONS: '--max-semi-space-size=32', MALLOC_ARENA_MAX: '8' })
    assert.equal(env.NODE_OPTIONS, '--max-semi-space-size=32')
    assert.equal(env.MALLOC_ARENA_MAX, '8')
  })
})
