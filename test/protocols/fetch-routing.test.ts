import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { DynamicQueryPlan } from '../../protocols/fetch/dynamic-query.ts'
import { NeighbourTables } from '../../protocols/fetch/neighbour-tables.ts'
import { reachTables } from '../../protocols/fetch/reach-tables.ts'
import { RoutingTable, TABLE_BYTES, gramsOf, slotOf } from '../../protocols/fetch/routing-table.ts'
import { SeenCache } from '../../protocols/fetch/seen-cache.ts'
import { nameWords } from '../../protocols/fetch/words.ts'
import { matchesQuery } from '../../src/search/query.ts'
import type { QueryRound } from '../../protocols/fetch/dynamic-query.ts'

describe('query routing tables', () => {
  it('hashes grams with FNV-1a folded to 16 bits (the values docs/protocols.md lists)', () => {
    // FNV-1a 32 of "abc" is 0x1a47e90b (the published test vector); "mp3" 0x9c793831
    assert.equal(slotOf('abc'), 0x1a47 ^ 0xe90b)
    assert.equal(slotOf('abc'), 0xf34c)
    assert.equal(slotOf('mp3'), 0xa448)
    assert.deepEqual(gramsOf('cancion'), ['can', 'anc', 'nci', 'cio', 'ion'])
    assert.deepEqual(gramsOf('ab'), [])
    assert.deepEqual(gramsOf('añob'), ['año', 'ñob'], 'grams count code points, not bytes')
  })

  it('never rules out a name that matches (any case, accents, substrings)', () => {
    const nameArbitrary = fc.array(fc.constantFrom('Canción', 'beatles', 'HELP', 'xylo', 'phone', 'ÆON', 'ﬁle', 'rock-n-roll', '01', 'ñandú', ' ', '_', '.', '-'), { minLength: 1, maxLength: 8 }).map(parts => parts.join(''))
    fc.assert(fc.property(nameArbitrary, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 12 }), (name, start, length) => {
      const table = RoutingTable.fromNames([name])
      // any piece of the name is a query that matches it
      const word = [...name].slice(start, start + length).join('')
      if (word.trim() !== '' && matchesQuery(name, { words: [word] })) {
        assert.ok(table.mayMatch({ words: [word] }), `"${word}" matches "${name}" but the table rules it out`)
      }
    }), { numRuns: 500 })
  })

  it('rules out words whose grams are absent, and lets short words and no query through', () => {
    const table = RoutingTable.fromNames(['Beatles - Help!.mp3', 'notes.pdf'])
    assert.equal(table.mayMatch({ words: ['xylophone'] }), false)
    assert.equal(table.mayMatch({ words: ['help', 'xylophone'] }), false, 'every word must be possible')
    assert.equal(table.mayMatch({ words: ['BEAT', 'Notes'] }), true, 'each word may match some name')
    assert.equal(table.mayMatch({ words: ['zz'] }), true, 'shorter than a gram: cannot be ruled out')
    assert.equal(table.mayMatch(undefined), true)
    assert.equal(table.mayMatch({ words: [], type: 'music' }), true)
    assert.ok(table.fill() > 0 && table.fill() < 0.001)
  })

  it('refuses a bitmap of the wrong size', () => {
    assert.throws(() => new RoutingTable(new Uint8Array(TABLE_BYTES - 1)), RangeError)
    assert.equal(new RoutingTable(new Uint8Array(TABLE_BYTES).fill(0xff)).mayMatch({ words: ['anything'] }), true)
  })

  it('neighbour tables: newest sequence wins, a storm is cut off, a missing table matches all', () => {
    const tables = new NeighbourTables({ updatesPerMinute: 12 })
    const empty = { sequence: 2, bitmap: new Uint8Array(TABLE_BYTES) }
    assert.equal(tables.mayMatch('peer', { words: ['abc'] }, 1), true, 'no table yet')
    assert.equal(tables.accept('peer', empty), 'kept')
    assert.equal(tables.mayMatch('peer', { words: ['abc'] }, 1), false)
    assert.equal(tables.accept('peer', { ...empty, sequence: 1 }), 'stale')
    assert.equal(tables.accept('peer', { ...empty, sequence: 3 }), 'rate-limit', '12 a minute = 2 per 10 s window')
    assert.equal(tables.accept('other', { ...empty, sequence: 1 }), 'kept', 'the allowance is per peer')
    tables.forget('peer')
    assert.equal(tables.mayMatch('peer', { words: ['abc'] }, 1), true)
  })

  it('neighbour tables: TTL 1 asks the own table, TTL 2 the reach table (none sent: may match), more asks nothing', () => {
    const tables = new NeighbourTables({ updatesPerMinute: 60 })
    const own = RoutingTable.fromNames(['beatles.mp3'])
    const reach = RoutingTable.fromNames(['beatles.mp3', 'xylophone solo.ogg'])
    tables.accept('peer', { sequence: 1, bitmap: own.bitmap })
    assert.equal(tables.mayMatch('peer', { words: ['xylo'] }, 1), false)
    assert.equal(tables.mayMatch('peer', { words: ['xylo'] }, 2), true, 'no reach table: unknown')
    tables.accept('peer', { sequence: 2, bitmap: own.bitmap, reach: reach.bitmap })
    assert.equal(tables.mayMatch('peer', { words: ['xylo'] }, 2), true)
    assert.equal(tables.mayMatch('peer', { words: ['zither'] }, 2), false)
    assert.equal(tables.mayMatch('peer', { words: ['zither'] }, 3), true, 'tables say nothing three hops away')
    tables.accept('peer', { sequence: 3, bitmap: own.bitmap })
    assert.equal(tables.mayMatch('peer', { words: ['zither'] }, 2), true, 'a newer message without reach withdraws it')
  })

  it('reach tables: own ORed with every other neighbour\'s table, none while another neighbour sent none', () => {
    const name = fc.constantFrom('beatles', 'help', 'xylophone', 'canción', 'notes', 'zither', 'moon', 'ñandú')
    const maybeTable = fc.option(fc.array(name, { maxLength: 3 }), { nil: undefined })
    fc.assert(fc.property(fc.array(name, { maxLength: 3 }), fc.array(maybeTable, { maxLength: 6 }), (ownNames, neighbourNames) => {
      const own = RoutingTable.fromNames(ownNames)
      const neighbours = neighbourNames.map(names => names == null ? undefined : RoutingTable.fromNames(names))
      const reaches = reachTables(own, neighbours)
      assert.equal(reaches.length, neighbours.length)
      reaches.forEach((reach, i) => {
        const others = neighbourNames.filter((_, j) => j !== i)
        if (others.some(names => names == null)) {
          assert.equal(reach, undefined)
        } else {
          const expected = RoutingTable.fromNames([...ownNames, ...others.flatMap(names => names ?? [])])
          assert.ok(reach?.equals(expected), `reach for neighbour ${i}`)
        }
      })
    }), { numRuns: 300 })
  })

  it('reach tables accept tables that start at any byte offset (as decoded from a frame)', () => {
    const frame = new Uint8Array(TABLE_BYTES + 1)
    const unaligned = new RoutingTable(frame.subarray(1))
    unaligned.set(slotOf('abc'))
    const [reach] = reachTables(new RoutingTable(), [new RoutingTable(), unaligned])
    assert.ok(reach?.has(slotOf('abc')))
  })

  it('folds names the way the local search does', () => {
    assert.deepEqual(nameWords('Canción de Ámbar (ﬁnal).MP3'), ['cancion', 'de', 'ambar', 'final', 'mp3'])
  })
})

describe('dynamic query plan', () => {
  /** The rounds a plan runs for `outcomes`, as [ttl, links, wholeLevels]. */
  function rounds (plan: DynamicQueryPlan, outcomes: Array<{ peersWithin: number, results: number }>): Array<[number, number, number]> {
    const seen: QueryRound[] = []
    let round = plan.first()
    for (const outcome of outcomes) {
      if (round == null) break
      seen.push(round)
      round = plan.next(outcome)
    }
    if (round != null) seen.push(round)
    return seen.map(r => [r.ttl, r.links, r.wholeLevels])
  }
  const within = (counts: number[]): Array<{ peersWithin: number, results: number }> => counts.map(peersWithin => ({ peersWithin, results: 0 }))

  it('probes a few links with TTL 1 and 2, then widens to every link, one TTL at a time', () => {
    const plan = new DynamicQueryPlan({ limit: 1_000, maxTtl: 5, links: 10 })
    assert.deepEqual(rounds(plan, within([0, 3, 10, 10, 100, 5_000])), [
      [1, 3, 1], [2, 3, 1], [2, 10, 1], [3, 10, 1], [4, 10, 2], [5, 10, 3]
    ], 'the last two levels of a round may be thinned out; the first is always whole')
  })

  it('stops as soon as the results reach the limit', () => {
    const plan = new DynamicQueryPlan({ limit: 5, maxTtl: 7, links: 10 })
    assert.deepEqual(rounds(plan, [{ peersWithin: 0, results: 1 }, { peersWithin: 3, results: 6 }, { peersWithin: 99, results: 99 }]),
      [[1, 3, 1], [2, 3, 1]])
  })

  it('stops when a round finds no peer farther than the one before (nothing lies beyond)', () => {
    const plan = new DynamicQueryPlan({ limit: 5, maxTtl: 7, links: 4 })
    // a line: one more peer per hop is searched to its end
    assert.deepEqual(rounds(plan, within([3, 3, 4, 4, 5, 6, 6, 6])),
      [[1, 3, 1], [2, 3, 1], [2, 4, 1], [3, 4, 1], [4, 4, 2], [5, 4, 3], [6, 4, 4]])
  })

  it('compares rounds only when the later one has more whole levels', () => {
    const outcomes = within([3, 3, 4, 4, 9])
    assert.deepEqual(rounds(new DynamicQueryPlan({ limit: 5, maxTtl: 4, links: 4 }), outcomes),
      [[1, 3, 1], [2, 3, 1], [2, 4, 1], [3, 4, 1], [4, 4, 2]], 'TTL 3 searches no more whole levels than TTL 2: not the end')
    assert.deepEqual(rounds(new DynamicQueryPlan({ limit: 5, maxTtl: 4, links: 4, prunedHops: 1 }), outcomes),
      [[1, 3, 1], [2, 3, 1], [2, 4, 1], [3, 4, 2]], 'with last-hop tables only, TTL 3 has one more whole level')
  })

  it('in a large horizon, stops when the whole levels did not double (the horizon is closing)', () => {
    const plan = new DynamicQueryPlan({ limit: 5, maxTtl: 7, links: 20 })
    assert.deepEqual(rounds(plan, within([3, 3, 20, 20, 400, 7_000, 10_000, 10_000])),
      [[1, 3, 1], [2, 3, 1], [2, 20, 1], [3, 20, 1], [4, 20, 2], [5, 20, 3], [6, 20, 4]])
  })

  it('with fewer links than the probe, or none', () => {
    assert.deepEqual(rounds(new DynamicQueryPlan({ limit: 9, maxTtl: 2, links: 2 }), within([2, 2])),
      [[1, 2, 1], [2, 2, 1]])
    assert.equal(new DynamicQueryPlan({ limit: 9, maxTtl: 7, links: 0 }).first(), undefined)
  })
})

describe('seen-cache TTL levels (TTL shadowing)', () => {
  it('a known id is "deeper" only with a strictly higher TTL, once per level', () => {
    const cache = new SeenCache({ ttlMs: 30_000, maxEntries: 10 })
    assert.equal(cache.offer('a', 2), 'new')
    assert.equal(cache.offer('a', 2), 'seen')
    assert.equal(cache.offer('a', 1), 'seen')
    assert.equal(cache.offer('a', 4), 'deeper')
    assert.equal(cache.offer('a', 4), 'seen')
    assert.equal(cache.offer('a', 3), 'seen')
    assert.equal(cache.add('b'), true)
    assert.equal(cache.offer('b', 10), 'seen', 'an originator\'s own id never comes back deeper')
  })
})
