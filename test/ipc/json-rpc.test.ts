import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { IpcClient } from '../../src/ipc/client.ts'
import { LineSplitter } from '../../src/ipc/line-splitter.ts'
import { IpcServer } from '../../src/ipc/server.ts'

const MIB = 1024 * 1024

describe('IPC line reader', () => {
  it('keeps a UTF-8 character split across chunks whole', () => {
    const splitter = new LineSplitter()
    const bytes = Buffer.from('añb\nc')
    assert.deepEqual(splitter.push(bytes.subarray(0, 2)), [])
    assert.deepEqual(splitter.push(bytes.subarray(2)), ['añb'])
    assert.equal(splitter.pendingBytes, 1)
    assert.deepEqual(splitter.push(Buffer.from('\n\nd\n')), ['c', '', 'd'])
  })

  it('reads a 64 MiB line in linear time', () => {
    const splitter = new LineSplitter()
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const started = performance.now()
    for (let i = 0; i < 1024; i++) {
      assert.deepEqual(splitter.push(chunk), [])
    }
    assert.equal(splitter.pendingBytes, 64 * MIB)
    const [line] = splitter.push(Buffer.from('\n'))
    assert.equal(line.length, 64 * MIB)
    // Rescanning the held bytes per chunk did ~32 GiB of work here (~45 s);
    // one scan per byte takes well under a second even on a loaded machine.
    assert.ok(performance.now() - started < 10_000, `took ${Math.round(performance.now() - started)} ms`)
  })

  it('a client receives a 64 MiB answer from the daemon socket promptly', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'peerit-ipc-'))
    const big = 'x'.repeat(64 * MIB)
    const server = new IpcServer({ socketPath: join(dir, 'rpc.sock'), methods: { big: async () => big }, logger: defaultLogger() })
    await server.listen()
    const client = await IpcClient.connect(join(dir, 'rpc.sock'))
    t.after(async () => {
      client.close()
      await server.close()
      await rm(dir, { recursive: true, force: true })
    })
    const started = performance.now()
    const answer = await client.call<string>('big', {}, { timeoutMs: 30_000 })
    assert.equal(answer.length, big.length)
    assert.ok(performance.now() - started < 15_000, `took ${Math.round(performance.now() - started)} ms`)
  })
})
