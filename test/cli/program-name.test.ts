import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { forProgram, programName } from '../../cli/program-name.ts'

describe('the program name', () => {
  it('is the invoked name when it is one the package installs, else peerit', () => {
    assert.equal(programName('/usr/local/bin/peerctl', {}), 'peerctl')
    assert.equal(programName('/usr/local/bin/peerit', {}), 'peerit')
    assert.equal(programName('/opt/peerit/bin/peerit.js', {}), 'peerit')
    assert.equal(programName('/opt/peerit/cli/main.ts', {}), 'peerit')
    assert.equal(programName(undefined, {}), 'peerit')
    assert.equal(programName('/opt/peerit/cli/main.ts', { PEERIT_PROGRAM: 'peerctl' }), 'peerctl')
    assert.equal(programName('/usr/bin/peerctl', { PEERIT_PROGRAM: 'rm' }), 'peerit')
  })

  it('rewrites the commands a message names, and nothing else', () => {
    const text = 'run `peerit init` here, then `peerit` alone; PeerIT keeps /tmp/peerit-test and peerit.log'
    assert.equal(forProgram(text, 'peerctl'), 'run `peerctl init` here, then `peerctl` alone; PeerIT keeps /tmp/peerit-test and peerit.log')
    assert.equal(forProgram(text, 'peerit'), text)
  })
})
