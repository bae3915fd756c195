import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatBytes } from '../../cli/output.ts'
import { formatRate, parseRate } from '../../cli/rate.ts'

describe('parseRate', () => {
  it('reads bytes, binary and decimal units, an optional /s, and 0 for unlimited', () => {
    assert.equal(parseRate('0', '--upload'), 0)
    assert.equal(parseRate('20000', '--upload'), 20_000)
    assert.equal(parseRate('500KiB', '--upload'), 512_000)
    assert.equal(parseRate('2MiB', '--upload'), 2 * 1024 * 1024)
    assert.equal(parseRate('1.5 GiB/s', '--upload'), 1.5 * 1024 ** 3)
    assert.equal(parseRate('800kB', '--upload'), 800_000)
    assert.equal(parseRate('10mb', '--upload'), 10_000_000)
    assert.equal(parseRate('2M', '--upload'), 2 * 1024 * 1024)
  })

  it('refuses what is not a rate with a usage error that lists the accepted forms', () => {
    for (const bad of ['5 parsecs', '', 'fast', '-1MiB', '2MiB/h', '1e6']) {
      assert.throws(() => parseRate(bad, '--download'), (err: any) => {
        assert.equal(err.code, 'ERR_USAGE')
        assert.match(err.message, /--download/)
        assert.match(err.message, /500KiB, 2MiB/)
        return true
      }, bad)
    }
  })

  it('refuses a rate below 16 KiB other than 0', () => {
    assert.throws(() => parseRate('1KiB', '--upload'), { code: 'ERR_USAGE', message: /16 KiB/ })
  })

  it('formats 0 as unlimited', () => {
    assert.equal(formatRate(0, formatBytes), 'unlimited')
    assert.equal(formatRate(2 * 1024 * 1024, formatBytes), '2.0 MiB/s')
  })
})
