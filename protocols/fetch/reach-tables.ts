/**
 * Reach tables (`/peerit/fetch/1.1`): what a peer tells each neighbour about
 * the names two hops away through it. A request that arrives with TTL 2 is
 * answered by the peer and passed on with TTL 1 to its other neighbours, so
 * the names it can find are the peer's own and those of its neighbours other
 * than the sender: the reach table for that sender is the OR of those tables.
 * Only own tables go into it (never another peer's reach table), so a share
 * change travels one hop further and no further: no update storms.
 */
import { RoutingTable, TABLE_BYTES } from './routing-table.ts'

const WORDS = TABLE_BYTES / 4

/** A table as 32-bit words (a copy: a table decoded from a frame may start at any byte offset). */
function wordsOf (table: RoutingTable): Uint32Array {
  const words = new Uint32Array(WORDS)
  new Uint8Array(words.buffer).set(table.bitmap)
  return words
}

/**
 * The reach table for each neighbour: `own` ORed with the tables of all the
 * other neighbours, or undefined when one of those sent no table (it is
 * asked whatever the query, so anything may match through this peer).
 * `neighbours[i]` is neighbour i's own table; the answer is in the same
 * order. Prefix and suffix ORs make it linear in the number of neighbours.
 */
export function reachTables (own: RoutingTable, neighbours: Array<RoutingTable | undefined>): Array<RoutingTable | undefined> {
  const count = neighbours.length
  const missing = neighbours.filter(table => table == null).length
  const words = neighbours.map(table => table == null ? undefined : wordsOf(table))
  // suffix[i] = OR of the tables of neighbours i + 1 … count − 1
  const suffix: Uint32Array[] = new Array(count)
  let after = new Uint32Array(WORDS)
  for (let i = count - 1; i >= 0; i--) {
    suffix[i] = after
    const table = words[i]
    if (table != null && i > 0) {
      after = after.map((word, w) => word | table[w])
    }
  }
  const reaches: Array<RoutingTable | undefined> = []
  // before = own ORed with the tables of neighbours 0 … i − 1
  let before = wordsOf(own)
  for (let i = 0; i < count; i++) {
    const table = words[i]
    if (missing - (table == null ? 1 : 0) > 0) {
      reaches.push(undefined)
    } else {
      const after = suffix[i]
      const reach = before.map((word, w) => word | after[w])
      reaches.push(new RoutingTable(new Uint8Array(reach.buffer)))
    }
    if (table != null) {
      before = before.map((word, w) => word | table[w])
    }
  }
  return reaches
}
