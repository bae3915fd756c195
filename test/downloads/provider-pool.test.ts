import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ProviderPool } from '../../src/downloads/provider-pool.ts'
import type { Logger } from '@libp2p/interface'

const A = '12D3KooWCtPJMCCmyZHNKmpujWvupMpHZFF8QgKWUngLWcfKyqTf'
const B = '12D3KooWMkXNziGXbAwjZfDNd5Lh4jTFEUztcJ8nX9Mc8ihsC2aV'
const C = '12D3KooWRXQFRQ8UcC55yFbFJLPBL4kow1BRgkvY6BryCuryNcBh'

const silent = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as Logger

function pool (source: (signal: AbortSignal) => Promise<string[]>, maxProviderRounds = 3, noProgressTimeoutMs = 60_000): ProviderPool {
  return new ProviderPool({
    contentId: 'c'.repeat(64),
    source,
    tunables: { maxProviderRounds, noProgressTimeoutMs, retryBackoffMs: 1, maxRetryBackoffMs: 5 },
    log: silent
  })
}

describe('ProviderPool', () => {
  it('offers each valid provider once, never a banned one, and the ones that failed last', async () => {
    const providers = pool(async () => [A, 'not a peer id', B, A, C])
    const signal = new AbortController().signal
    assert.deepEqual((await providers.nextRound(true, signal)).map(p => p.id), [A, B, C])
    providers.ban(B)
    providers.strike(A)
    assert.deepEqual((await providers.nextRound(true, signal)).map(p => p.id), [C, A])
  })

  it('throws NoProvidersError after the bound of rounds without progress, asking the source each time', async () => {
    let asked = 0
    const providers = pool(async () => { asked++; return [] }, 3)
    const signal = new AbortController().signal
    await providers.nextRound(false, signal)
    await providers.nextRound(false, signal)
    await providers.nextRound(false, signal)
    await assert.rejects(providers.nextRound(false, signal), { name: 'NoProvidersError', code: 'ERR_NO_PROVIDERS' })
    assert.equal(asked, 3)
  })

  it('starts counting again after a round with progress, and treats a failing source as no providers', async () => {
    const providers = pool(async () => { throw new Error('store closed') }, 2)
    const signal = new AbortController().signal
    assert.deepEqual(await providers.nextRound(false, signal), [])
    await providers.nextRound(false, signal)
    await providers.nextRound(true, signal)
    await providers.nextRound(false, signal)
    await assert.rejects(providers.nextRound(false, signal), { name: 'NoProvidersError' })
  })

  it('cuts a search short and gives up when the time without progress is up, whatever the rounds left', async () => {
    let asked = 0
    // A source that never answers by itself, as a DHT lookup for a gone provider can take minutes.
    const hanging = async (signal: AbortSignal): Promise<string[]> => {
      asked++
      return new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
      })
    }
    const providers = pool(hanging, 100, 600)
    const signal = new AbortController().signal
    const started = Date.now()
    assert.deepEqual(await providers.nextRound(false, signal), [])
    // The first round's search took the whole time; a second one still looks, for a sixth of it.
    assert.ok(Date.now() - started >= 600)
    assert.deepEqual(await providers.nextRound(false, signal), [])
    await assert.rejects(providers.nextRound(false, signal), (err: Error) => {
      assert.equal(err.name, 'NoProvidersError')
      // What happens next (auto-resume) is the download's to say: test/downloads/download-manager.test.ts.
      assert.match(err.message, /after 2 attempts in \d+ s$/)
      return true
    })
    assert.equal(asked, 2)
  })

  it('ends at once with the download\'s own signal, not as a lack of providers', async () => {
    const providers = pool(async (signal) => new Promise((_resolve, reject) => {
      signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
    }))
    const stop = new AbortController()
    const round = providers.nextRound(false, stop.signal)
    stop.abort(new Error('paused'))
    await assert.rejects(round, { message: 'paused' })
  })
})
