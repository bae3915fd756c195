import assert from 'node:assert/strict'
import { it } from 'node:test'
import { GuardedEventEmitter } from '../src/guarded-events.ts'

class Recorder extends GuardedEventEmitter<{ ping: CustomEvent<number> }> {
  readonly failures: string[] = []
  protected override listenerFailed (type: string, err: any): void {
    this.failures.push(`${type}: ${err.message}`)
  }
}

it('guarded listeners can be removed, run once with `once`, and report what they threw', () => {
  const emitter = new Recorder()
  const seen: number[] = []
  const listener = (event: CustomEvent<number>): void => { seen.push(event.detail) }
  emitter.addEventListener('ping', listener)
  emitter.addEventListener('ping', () => { throw new Error('boom') }, { once: true })
  assert.equal(emitter.listenerCount('ping'), 2)
  emitter.safeDispatchEvent('ping', { detail: 1 })
  emitter.safeDispatchEvent('ping', { detail: 2 })
  emitter.removeEventListener('ping', listener)
  emitter.safeDispatchEvent('ping', { detail: 3 })
  assert.deepEqual(seen, [1, 2])
  assert.deepEqual(emitter.failures, ['ping: boom'])
  assert.equal(emitter.listenerCount('ping'), 0)
})
