import assert from 'node:assert/strict'
import { it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { Admission } from '../../protocols/shared/admission.ts'
import { silentLogger } from '../fixtures/search.ts'

const log = silentLogger().forComponent('test')

it('admission counts per peer and in total, and frees a slot on leave', () => {
  const admission = new Admission({ maxConcurrentPerPeer: 2, maxConcurrentTotal: 3, requestsPerMinute: 0, log })
  assert.equal(admission.enter('a'), true)
  assert.equal(admission.enter('a'), true)
  assert.equal(admission.enter('a'), false, 'the per-peer limit')
  assert.equal(admission.enter('b'), true)
  assert.equal(admission.enter('c'), false, 'the total limit')
  assert.equal(admission.active, 3)
  assert.equal(admission.leave('a'), 1)
  assert.equal(admission.enter('c'), true)
  assert.equal(admission.leave('b'), 0)
  assert.equal(admission.activeOf('b'), 0)
  assert.equal(admission.active, 2)
})

it('admission spends a peer\'s allowance in sixths of a minute, and a throwing violation callback is only logged', () => {
  const seen: string[] = []
  const admission = new Admission<'rate-limit'>({
    maxConcurrentPerPeer: 1,
    maxConcurrentTotal: 1,
    requestsPerMinute: 12,
    log,
    onViolation: (_peer, kind) => { seen.push(kind); throw new Error('callback bug') }
  })
  assert.equal(admission.withinRate('a'), true)
  assert.equal(admission.withinRate('a'), true)
  assert.equal(admission.withinRate('a'), false, '12 a minute is 2 per ten-second window')
  assert.equal(admission.withinRate('b'), true, 'each peer has its own allowance')
  admission.report(peerIdFromString('12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'), 'rate-limit')
  assert.deepEqual(seen, ['rate-limit'])
})
