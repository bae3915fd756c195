import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import {
  FILE_KINDS, InvalidTypeFilterError, compileQuery, extensionOf, fileKindOf, matchesQuery, nameWords, normalizeText, parseTypeFilter
} from '../../src/search/index.ts'

describe('normalizeText', () => {
  it('lowercases and strips accents both ways', () => {
    assert.equal(normalizeText('Canción'), 'cancion')
    assert.equal(normalizeText('CANCIÓN'), normalizeText('cancion'))
    assert.equal(normalizeText('Ça Ñoño Über'), 'ca nono uber')
  })

  it('folds ligatures and full-width letters', () => {
    assert.equal(normalizeText('ﬁle'), 'file')
    assert.equal(normalizeText('ＡＢＣ'), 'abc')
  })

  it('is idempotent', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
      assert.equal(normalizeText(normalizeText(text)), normalizeText(text))
    }))
  })
})

describe('nameWords', () => {
  it('splits a file name into normalised words, each once', () => {
    assert.deepEqual(nameWords('The Beatles - Help!.mp3'), ['the', 'beatles', 'help', 'mp3'])
    assert.deepEqual(nameWords('a_b.a-b'), ['a', 'b'])
    assert.deepEqual(nameWords('Canción (1999).FLAC'), ['cancion', '1999', 'flac'])
    assert.deepEqual(nameWords('---'), [])
  })
})

describe('file kinds', () => {
  it('maps extensions to kinds case-insensitively', () => {
    assert.equal(fileKindOf('song.MP3'), 'music')
    assert.equal(fileKindOf('film.mkv'), 'video')
    assert.equal(fileKindOf('paper.Pdf'), 'document')
    assert.equal(fileKindOf('photo.jpeg'), 'image')
    assert.equal(fileKindOf('backup.tar.gz'), 'archive')
    assert.equal(fileKindOf('program.exe'), 'other')
    assert.equal(fileKindOf('README'), 'other')
    assert.equal(fileKindOf('.mp3'), 'other')
  })

  it('takes the extension of the last path segment only', () => {
    assert.equal(extensionOf('dir.mp3/readme'), '')
    assert.equal(extensionOf('a\\b.Txt'), 'txt')
  })

  it('gives every name one of the six kinds', () => {
    fc.assert(fc.property(fc.string(), (name) => {
      assert.ok((FILE_KINDS as readonly string[]).includes(fileKindOf(name)))
    }))
  })
})

describe('parseTypeFilter', () => {
  it('accepts kinds, their plurals, and extensions with or without the dot', () => {
    assert.deepEqual(parseTypeFilter('music'), { kind: 'music' })
    assert.deepEqual(parseTypeFilter('Videos'), { kind: 'video' })
    assert.deepEqual(parseTypeFilter('other'), { kind: 'other' })
    assert.deepEqual(parseTypeFilter('pdf'), { extension: 'pdf' })
    assert.deepEqual(parseTypeFilter('.PDF'), { extension: 'pdf' })
  })

  it('rejects junk with a typed error', () => {
    for (const junk of ['', '.', '../etc', 'a b', 'x'.repeat(40), 'mp3\u0000', '*']) {
      assert.throws(() => parseTypeFilter(junk), (err: Error & { code?: string }) =>
        err.name === 'InvalidTypeFilterError' && err.code === InvalidTypeFilterError.code && err.code === 'ERR_INVALID_TYPE')
    }
  })
})

describe('matchesQuery', () => {
  it('matches words and substrings, case- and accent-insensitively', () => {
    assert.ok(matchesQuery('Beatles-Help.mp3', { text: 'beat' }))
    assert.ok(matchesQuery('Beatles-Help.mp3', { text: 'HELP beatles' }))
    assert.ok(matchesQuery('Canción del mar.ogg', { text: 'cancion' }))
    assert.ok(matchesQuery('cancion del mar.ogg', { text: 'Canción' }))
    assert.ok(!matchesQuery('Beatles-Help.mp3', { text: 'beat stones' }))
  })

  it('applies the type filter alone and with words', () => {
    assert.ok(matchesQuery('Beatles-Help.mp3', { type: 'music' }))
    assert.ok(!matchesQuery('Beatles-Help.mp3', { type: 'video' }))
    assert.ok(matchesQuery('Beatles-Help.mp3', { text: 'help', type: 'mp3' }))
    assert.ok(!matchesQuery('Beatles-Help.flac', { text: 'help', type: 'mp3' }))
  })

  it('takes network queries (words and type)', () => {
    assert.ok(matchesQuery('Report 2024.PDF', { words: ['report'], type: 'document' }))
    assert.ok(!matchesQuery('Report 2024.PDF', { words: ['report', 'final'] }))
  })

  it('matches everything when the query is empty', () => {
    assert.ok(matchesQuery('anything', {}))
    assert.deepEqual(compileQuery().words, [])
  })

  it('throws on a junk type', () => {
    assert.throws(() => matchesQuery('a.mp3', { type: '%%%' }), { name: 'InvalidTypeFilterError' })
  })

  it('finds every name by any of its own words and their substrings', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), fc.nat(), fc.nat(), (name, start, length) => {
      for (const word of nameWords(name)) {
        const from = start % word.length
        assert.ok(matchesQuery(name, { text: word.slice(from, from + 1 + length % word.length) }))
      }
    }))
  })
})
