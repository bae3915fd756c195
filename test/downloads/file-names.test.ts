import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { collisionName, FALLBACK_NAME, MAX_NAME_BYTES, sanitiseFileName, truncateName } from '../../src/downloads/file-names.ts'

describe('sanitiseFileName', () => {
  it('keeps an ordinary name as it is', () => {
    assert.equal(sanitiseFileName('holiday photos (2024).tar.gz'), 'holiday photos (2024).tar.gz')
    assert.equal(sanitiseFileName('canción.mp3'), 'canción.mp3')
  })

  it('turns path separators into underscores, so a name never climbs out of the folder', () => {
    assert.equal(sanitiseFileName('../../etc/passwd'), '_.._etc_passwd')
    assert.equal(sanitiseFileName('..\\..\\boot.ini'), '_.._boot.ini')
    assert.equal(sanitiseFileName('/etc/passwd'), '_etc_passwd')
  })

  it('never returns . or .. or a hidden name', () => {
    assert.equal(sanitiseFileName('..'), FALLBACK_NAME)
    assert.equal(sanitiseFileName('.'), FALLBACK_NAME)
    assert.equal(sanitiseFileName('.bashrc'), 'bashrc')
    assert.equal(sanitiseFileName('...hidden.txt'), 'hidden.txt')
  })

  it('drops control, NUL and bidi characters', () => {
    assert.equal(sanitiseFileName('a\u0000b\nc\u001b[31m.txt'), 'abc[31m.txt')
    // U+202E would render "photo\u202Egpj.exe" as "photoexe.jpg".
    assert.equal(sanitiseFileName('photo\u202Egpj.exe'), 'photogpj.exe')
  })

  it('never returns an empty name', () => {
    assert.equal(sanitiseFileName(''), FALLBACK_NAME)
    assert.equal(sanitiseFileName('   '), FALLBACK_NAME)
    assert.equal(sanitiseFileName('\u0000\u0001', 'download-abc'), 'download-abc')
  })

  it('renames the device names Windows reserves', () => {
    assert.equal(sanitiseFileName('CON'), '_CON')
    assert.equal(sanitiseFileName('nul.txt'), '_nul.txt')
    assert.equal(sanitiseFileName('console.txt'), 'console.txt')
  })

  it('bounds the length in bytes, keeping the extension and whole characters', () => {
    const long = sanitiseFileName('ñ'.repeat(300) + '.mkv')
    assert.ok(Buffer.byteLength(long) <= MAX_NAME_BYTES)
    assert.ok(long.endsWith('ñ.mkv'))
    assert.equal(truncateName('abcdef', 4), 'abcd')
    assert.equal(truncateName('€€€', 7), '€€')
  })

  it('holds for any string: no separator, no control character, no leading dot, bounded, not empty', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (name) => {
      const safe = sanitiseFileName(name)
      assert.ok(safe.length > 0)
      assert.ok(Buffer.byteLength(safe) <= MAX_NAME_BYTES)
      // eslint-disable-next-line no-control-regex -- control characters are what this matches
      assert.ok(!/[/\\\u0000-\u001f\u007f]/u.test(safe), JSON.stringify(safe))
      assert.ok(!safe.startsWith('.'))
      assert.notEqual(safe, '..')
      assert.equal(sanitiseFileName(safe), safe, 'sanitising is idempotent')
    }), { numRuns: 500 })
  })
})

describe('collisionName', () => {
  it('numbers the name before its last extension', () => {
    assert.equal(collisionName('report.pdf', 0), 'report.pdf')
    assert.equal(collisionName('report.pdf', 1), 'report (1).pdf')
    assert.equal(collisionName('report.pdf', 2), 'report (2).pdf')
    assert.equal(collisionName('README', 3), 'README (3)')
    assert.equal(collisionName('archive.tar.gz', 1), 'archive.tar (1).gz')
  })
})
