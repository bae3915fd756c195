import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { PROTOCOL } from '../../protocols/fetch/constants.ts'
import { sendFrame } from '../../protocols/fetch/framing.ts'
import { createFetchNetwork, waitFor } from '../fixtures/fetch-network.ts'
import type { FetchNetwork } from '../fixtures/fetch-network.ts'
import type { Stream } from '@libp2p/interface'

describe('fetch framing back-pressure', () => {
  let network: FetchNetwork
  const readers: Stream[] = []

  before(async () => {
    network = await createFetchNetwork({
      size: 2,
      edges: [[0, 1]],
      // a reader that reads nothing until the test lets it
      handlers: { 1: (stream: Stream) => { stream.pause(); readers.push(stream) } }
    })
  })
  after(async () => { await network?.close() })

  it('a slow reader bounds what the sender buffers, after the first drain too', async () => {
    const limit = 64 * 1024
    const frame = new Uint8Array(60 * 1024).fill(7)
    const frames = 120
    const signal = AbortSignal.timeout(60_000)
    const stream = await network.nodes[0].libp2p.dialProtocol(network.nodes[1].libp2p.peerId, PROTOCOL, { signal })
    let sent = 0
    let waiting = false
    let mostBuffered = 0
    let settled = false
    const sending = (async () => {
      for (; sent < frames; sent++) {
        waiting = true
        await sendFrame(stream, frame, signal, limit)
        waiting = false
        mostBuffered = Math.max(mostBuffered, stream.writeBufferLength)
      }
      await stream.close({ signal })
    })().finally(() => { settled = true })
    sending.catch(() => {})

    // twice: a stall before and after a drain (the bug let every wait after the first drain through)
    let received = 0
    for (const round of [1, 2]) {
      await waitFor(() => (waiting && stream.writeBufferLength > 0) || settled, 30_000, `the sender to wait (round ${round})`)
      assert.ok(!settled, `the sender ran ahead of a reader that reads nothing (${sent} frames sent, ${stream.writeBufferLength} bytes buffered)`)
      const reader = readers[0]
      // let some bytes through, then stop again
      reader.resume()
      const target = received + 1024 * 1024
      await new Promise<void>((resolve) => {
        const onMessage = (event: { data: { byteLength: number } }): void => {
          received += event.data.byteLength
          if (received >= target) {
            reader.removeEventListener('message', onMessage)
            reader.pause()
            resolve()
          }
        }
        reader.addEventListener('message', onMessage)
      })
    }
    readers[0].resume()
    readers[0].addEventListener('message', () => {})
    await sending
    assert.equal(sent, frames)
    // after each wait at most the limit is queued; the check runs after one more frame went in
    assert.ok(mostBuffered <= limit, `the send buffer held ${mostBuffered} bytes, the limit is ${limit}`)
  })
})
