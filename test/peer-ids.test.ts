import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { resolvePeerId } from '../src/peer-ids.ts'

async function newPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

describe('resolvePeerId', () => {
  it('takes a whole peer id, known or not', async () => {
    const id = await newPeerId()
    assert.equal(resolvePeerId(` ${id} `, []), id)
  })

  it('takes a unique prefix of a known peer, and the short form tables print', async () => {
    const [a, b] = [await newPeerId(), await newPeerId()]
    assert.equal(resolvePeerId(a.slice(0, 20), [a, b]), a)
    assert.equal(resolvePeerId(`${a.slice(0, 8)}…${a.slice(-6)}`, [a, b]), a)
    assert.equal(resolvePeerId(`${b.slice(0, 8)}...${b.slice(-6)}`, [a, b]), b)
  })

  it('refuses at once what is no peer id, a short prefix, and an ambiguous one', async () => {
    const a = await newPeerId()
    assert.throws(() => resolvePeerId('nobody', [a]), { code: 'ERR_INVALID_PARAMS', message: /not a peer id.*list peers --json/ })
    assert.throws(() => resolvePeerId('12D3', [a]), { code: 'ERR_INVALID_PARAMS', message: /12 characters/ })
    assert.throws(() => resolvePeerId(a.slice(0, 12), [a, `${a.slice(0, 12)}zzzz`]), { code: 'ERR_INVALID_PARAMS', message: /start of 2 peer ids/ })
  })
})
