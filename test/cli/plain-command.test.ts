import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { PLAIN_COMMANDS, plainInvocation } from '../../cli/plain-command.ts'

describe('plain command lines (run without yargs)', () => {
  it('a plain command with only the global options is recognised, with those options', () => {
    assert.deepEqual(plainInvocation(['status']), { command: 'status', argv: { json: false } })
    assert.deepEqual(plainInvocation(['status', '--json']), { command: 'status', argv: { json: true } })
    assert.deepEqual(plainInvocation(['stop', '--config', 'a/peerConf.json', '--json']), { command: 'stop', argv: { json: true, config: 'a/peerConf.json' } })
    assert.deepEqual(plainInvocation(['status', '--config=b.json']), { command: 'status', argv: { json: false, config: 'b.json' } })
  })

  it('anything else is left to yargs: other commands, help, unknown, repeated or incomplete options', () => {
    for (const args of [
      [], ['list'], ['--help'], ['status', '--help'], ['status', '-h'], ['status', 'extra'], ['status', '--jsn'],
      ['status', '--json', '--json'], ['status', '--config'], ['status', '--config', '--json'], ['status', '--config='],
      ['status', '--config', 'a', '--config', 'b'], ['status', '--no-json'], ['status', '--json=false'], ['toString'], ['constructor']
    ]) {
      assert.equal(plainInvocation(args), undefined, args.join(' '))
    }
  })

  it('every plain command module has a handler and a builder that adds no options', async () => {
    for (const [name, load] of Object.entries(PLAIN_COMMANDS)) {
      const module = await load() as { handler: unknown, builder: (y: unknown) => unknown }
      assert.equal(typeof module.handler, 'function', name)
      // A builder that only returns what it was given (or sets an epilogue) declares no option of its own.
      const declared: string[] = []
      const recorder: Record<string, unknown> = new Proxy({}, {
        get: (_, key) => () => { declared.push(String(key)); return recorder }
      })
      module.builder(recorder)
      assert.deepEqual(declared.filter(call => call !== 'epilogue'), [], `${name} declares ${declared.join(', ')}`)
    }
  })
})
