/**
 * Search at scale, simulated: an event model of the fetch protocol (not
 * real libp2p) on 10,000 and 100,000 nodes. Per keyword query it counts the
 * request messages of
 *   (a) today's plain flood (TTL 7 on every link),
 *   (b) the plain flood at the smallest TTL that reaches the same recall,
 *   (c1) own routing tables (the last hop pruned) + dynamic querying,
 *   (c2) own and reach tables (the last two hops pruned) + dynamic querying:
 *        what `/peerit/fetch/1.1` does,
 * and, for a lookup by id, (d) a Kademlia lookup (K = 20, α = 3).
 *
 * The model uses PeerIT's own modules where it matters: the routing tables
 * are built with protocols/fetch/routing-table.ts from synthetic file names
 * (real hash, real false positives) and the rounds come from
 * protocols/fetch/dynamic-query.ts. Messages travel with unit latency
 * (first-in first-out), every peer keeps a seen-cache, and a request counts
 * as one message whatever its answer (a record or "duplicate").
 *
 *   npx node bench/scale.ts [--nodes 10000,100000] [--degree 8,20] [--queries 5] [--lookups 200] [--seed 1] [--json]
 */
import { parseArgs } from 'node:util'
import { DynamicQueryPlan } from '../protocols/fetch/dynamic-query.ts'
import { gramsOf, slotOf } from '../protocols/fetch/routing-table.ts'
import { nameWords } from '../protocols/fetch/words.ts'
import { mulberry32 } from '../test/chaos/prng.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000,100000' },
    degree: { type: 'string', default: '8,20' },
    queries: { type: 'string', default: '5' },
    lookups: { type: 'string', default: '200' },
    files: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false }
  }
})

/** The TTL of today's fetch (and the largest a dynamic query widens to). */
const DEFAULT_TTL = 7
/** Nodes that share the rare word, per 10,000. */
const RARE_PER_10K = 10
/** Results a popular-word search asks for (the CLI's default --limit). */
const POPULAR_LIMIT = 100
const K = 20
const ALPHA = 3

/** An undirected graph in compressed rows: the neighbours of v are `edges[offsets[v] .. offsets[v + 1])`. */
interface Graph {
  size: number
  offsets: Int32Array
  edges: Int32Array
}

/** A connected random graph: a random tree, then random links up to the average degree. */
function randomGraph (size: number, degree: number, random: () => number): Graph {
  const keys = new Set<number>()
  const from: number[] = []
  const to: number[] = []
  const add = (a: number, b: number): void => {
    const key = a < b ? a * size + b : b * size + a
    if (a !== b && !keys.has(key)) {
      keys.add(key)
      from.push(a)
      to.push(b)
    }
  }
  for (let v = 1; v < size; v++) add(v, Math.floor(random() * v))
  const target = Math.round(size * degree / 2)
  while (from.length < target) add(Math.floor(random() * size), Math.floor(random() * size))
  const counts = new Int32Array(size + 1)
  for (let i = 0; i < from.length; i++) { counts[from[i] + 1]++; counts[to[i] + 1]++ }
  for (let v = 0; v < size; v++) counts[v + 1] += counts[v]
  const fill = counts.slice(0, size)
  const edges = new Int32Array(from.length * 2)
  for (let i = 0; i < from.length; i++) {
    edges[fill[from[i]]++] = to[i]
    edges[fill[to[i]]++] = from[i]
  }
  return { size, offsets: counts, edges }
}

/** A synthetic vocabulary: pseudo-words of 4–9 letters, drawn with Zipf (s = 1) popularity (rank 0 the most frequent). */
function vocabulary (size: number, random: () => number): { words: string[], draw: () => number } {
  const letters = 'abcdefghijklmnopqrstuvwxyz'
  const words = Array.from({ length: size }, () => Array.from({ length: 4 + Math.floor(random() * 6) }, () => letters[Math.floor(random() * 26)]).join(''))
  const cumulative = new Float64Array(size)
  let total = 0
  for (let i = 0; i < size; i++) { total += 1 / (i + 1); cumulative[i] = total }
  const draw = (): number => {
    const x = random() * total
    let low = 0
    let high = size - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if (cumulative[mid] < x) low = mid + 1
      else high = mid
    }
    return low
  }
  return { words, draw }
}

/**
 * Every node's shared names, as vocabulary word indexes (three words and
 * "mp3" per name), and its routing table as the sorted list of its set
 * slots. A name's table bits are the union of its words' bits, so the
 * slots are computed once per vocabulary word with the protocol's own
 * folding and hash.
 */
interface Shares {
  words: string[]
  /** Node v's names use words[nameWords[v * wordsPerNode + i]]. */
  nameWords: Int32Array
  wordsPerNode: number
  slots: Uint16Array[]
}

function slotsOfText (text: string): number[] {
  return nameWords(text).flatMap(word => gramsOf(word).map(slotOf))
}

function buildShares (size: number, filesPerNode: number, random: () => number, rareWord: string, rareNodes: Set<number>): Shares {
  const vocabularySize = 20_000
  const { words, draw } = vocabulary(vocabularySize, random)
  words.push(rareWord)
  const rareIndex = words.length - 1
  const wordSlots = words.map(slotsOfText)
  const extension = slotsOfText('.mp3')
  const wordsPerNode = filesPerNode * 3
  const nodeWords = new Int32Array(size * wordsPerNode)
  const slots: Uint16Array[] = []
  for (let v = 0; v < size; v++) {
    const set = new Set<number>(extension)
    for (let i = 0; i < wordsPerNode; i++) {
      const word = i === 1 && rareNodes.has(v) ? rareIndex : draw()
      nodeWords[v * wordsPerNode + i] = word
      for (const slot of wordSlots[word]) set.add(slot)
    }
    slots.push(Uint16Array.from([...set].sort((a, b) => a - b)))
  }
  return { words, nameWords: nodeWords, wordsPerNode, slots }
}

/** Mean fill of the reach tables (a node's slots and its neighbours'), over up to 1,000 random nodes. */
function reachFill (graph: Graph, shares: Shares, random: () => number): number {
  const samples = Math.min(1_000, graph.size)
  let total = 0
  for (let i = 0; i < samples; i++) {
    const v = Math.floor(random() * graph.size)
    const union = new Set<number>(shares.slots[v])
    for (let e = graph.offsets[v]; e < graph.offsets[v + 1]; e++) {
      for (const slot of shares.slots[graph.edges[e]]) union.add(slot)
    }
    total += union.size / 65_536
  }
  return total / samples
}

function hasSlot (slots: Uint16Array, slot: number): boolean {
  let low = 0
  let high = slots.length - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    if (slots[mid] === slot) return true
    if (slots[mid] < slot) low = mid + 1
    else high = mid - 1
  }
  return false
}

/** One query's facts: which nodes truly match, and the slots a table must hold to let it through. */
interface Query {
  word: string
  matches: Uint8Array
  matchCount: number
  slots: number[]
}

function prepareQuery (word: string, shares: Shares): Query {
  // a name matches when one of its words contains the query word (PeerIT's substring match)
  const containing = Uint8Array.from(shares.words, w => w.includes(word) ? 1 : 0)
  const size = shares.slots.length
  const matches = new Uint8Array(size)
  let matchCount = 0
  for (let v = 0; v < size; v++) {
    for (let i = 0; i < shares.wordsPerNode; i++) {
      if (containing[shares.nameWords[v * shares.wordsPerNode + i]] === 1) { matches[v] = 1; matchCount++; break }
    }
  }
  return { word, matches, matchCount, slots: slotsOfText(word) }
}

/** What one flood did. */
interface FloodOutcome {
  messages: number
  /** Peers that answered from the levels the routing tables leave whole (what dynamic querying measures). */
  within: number
}

/**
 * Per query: which of the query's slots each node's own table holds, as a
 * bit mask (a table may match when its mask is full). The first 32 distinct
 * slots only: testing fewer slots can only let more through, never hide a
 * match.
 */
interface QueryMasks {
  own: Uint32Array
  full: number
}

function queryMasks (shares: Shares, query: Query): QueryMasks {
  const slots = [...new Set(query.slots)].slice(0, 32)
  const own = new Uint32Array(shares.slots.length)
  for (let v = 0; v < own.length; v++) {
    let mask = 0
    slots.forEach((slot, i) => { if (hasSlot(shares.slots[v], slot)) mask |= 2 ** i })
    own[v] = mask >>> 0
  }
  return { own, full: slots.length === 32 ? 0xffffffff : (2 ** slots.length - 1) }
}

/**
 * How deep the routing tables reach: 0 none (plain flood), 1 the last hop
 * (each peer's own table), 2 the last two hops (own and reach tables).
 */
type TableDepth = 0 | 1 | 2

/**
 * One flood with a fresh id from `origin` on `links` with `ttl`. Every peer
 * remembers the highest TTL it saw the id with (the 1.1 seen-cache). A
 * forwarder (never the originator) sends a keyword request that arrives with
 * TTL 1 only where the recipient's own table may match, and with `depth` 2
 * one that arrives with TTL 2 only where the recipient's reach table may —
 * the union of its own and of its other neighbours' tables, the sender's
 * left out, as protocols/fetch/reach-tables.ts builds it. Peers at levels up
 * to `wholeLevels` count as `within`; `found` collects the matching peers
 * reached.
 */
function flood (graph: Graph, masks: QueryMasks, matches: Uint8Array, origin: number, links: number[], ttl: number, depth: TableDepth, wholeLevels: number, found: Uint8Array, seen: Int8Array, queue: Int32Array): FloodOutcome {
  seen.fill(0)
  seen[origin] = 127
  let head = 0
  let tail = 0
  const reachMay = (v: number, sender: number): boolean => {
    let mask = masks.own[v]
    for (let i = graph.offsets[v]; i < graph.offsets[v + 1] && mask !== masks.full; i++) {
      if (graph.edges[i] !== sender) mask |= masks.own[graph.edges[i]]
    }
    return (mask >>> 0) === masks.full
  }
  const send = (from: number, to: number, ttlLeft: number): void => {
    if (from !== origin && ttlLeft <= depth) {
      if (ttlLeft === 1 ? masks.own[to] !== masks.full : !reachMay(to, from)) return
    }
    queue[tail++] = from
    queue[tail++] = to
    queue[tail++] = ttlLeft
  }
  for (const to of links) send(origin, to, ttl)
  let messages = 0
  let within = 0
  while (head < tail) {
    const from = queue[head++]
    const to = queue[head++]
    const ttlLeft = queue[head++]
    messages++
    if (seen[to] >= ttlLeft) continue
    if (seen[to] === 0 && matches[to] === 1) found[to] = 1
    // FIFO with unit latency: the first copy came the shortest way, so ttl - ttlLeft + 1 is the peer's level
    if (seen[to] === 0 && ttl - ttlLeft + 1 <= wholeLevels) within++
    seen[to] = ttlLeft
    if (ttlLeft > 1) {
      for (let i = graph.offsets[to]; i < graph.offsets[to + 1]; i++) {
        if (graph.edges[i] !== from) send(to, graph.edges[i], ttlLeft - 1)
      }
    }
  }
  return { messages, within }
}

function neighboursOf (graph: Graph, v: number): number[] {
  return Array.from(graph.edges.subarray(graph.offsets[v], graph.offsets[v + 1]))
}

function count (found: Uint8Array): number {
  let total = 0
  for (const flag of found) total += flag
  return total
}

/** What dynamic querying did for one query. */
interface DynamicOutcome {
  messages: number
  recall: number
  rounds: number
}

/** One keyword query, every strategy, side by side. */
interface QueryRow {
  word: string
  matching: number
  floodMessages: number
  floodRecall: number
  minimalTtl: number
  minimalMessages: number
  /** Dynamic querying with own tables only (1.1 before reach tables): the last hop thinned out. */
  lastHop: DynamicOutcome
  /** Dynamic querying with own and reach tables: the last two hops thinned out. */
  reach: DynamicOutcome
  /** The same asked for more than the network holds (100): it widens until the horizon closes. */
  exhaust: DynamicOutcome
}

function keywordQuery (graph: Graph, shares: Shares, query: Query, origin: number, random: () => number, seen: Int8Array, queue: Int32Array, limitOverride?: number): QueryRow {
  const links = neighboursOf(graph, origin)
  const masks = queryMasks(shares, query)
  const floodFound = new Uint8Array(graph.size)
  const plain = flood(graph, masks, query.matches, origin, links, DEFAULT_TTL, 0, DEFAULT_TTL, floodFound, seen, queue)
  const floodHits = count(floodFound)
  const recall = (hits: number): number => query.matchCount === 0 ? 1 : hits / query.matchCount

  let minimalTtl = 1
  let minimalMessages = 0
  for (; minimalTtl <= DEFAULT_TTL; minimalTtl++) {
    const found = new Uint8Array(graph.size)
    minimalMessages = flood(graph, masks, query.matches, origin, links, minimalTtl, 0, minimalTtl, found, seen, queue).messages
    if (count(found) >= floodHits) break
  }

  // one random link order per query, the same for every variant
  const order = [...links]
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]]
  }
  const dynamic = (limit: number, depth: TableDepth): DynamicOutcome => {
    const found = new Uint8Array(graph.size)
    const plan = new DynamicQueryPlan({ limit, maxTtl: DEFAULT_TTL, links: order.length, prunedHops: depth })
    let messages = 0
    let rounds = 0
    for (let round = plan.first(); round != null;) {
      const outcome = flood(graph, masks, query.matches, origin, order.slice(0, round.links), round.ttl, depth, round.wholeLevels, found, seen, queue)
      messages += outcome.messages
      rounds++
      round = plan.next({ peersWithin: outcome.within, results: count(found) })
    }
    return { messages, recall: recall(count(found)), rounds }
  }
  // equal recall: ask for what the flood found (each matching peer shares one matching file)
  const limit = limitOverride ?? Math.max(1, floodHits)
  return {
    word: query.word,
    matching: query.matchCount,
    floodMessages: plain.messages,
    floodRecall: recall(floodHits),
    minimalTtl,
    minimalMessages,
    lastHop: dynamic(limit, 1),
    reach: dynamic(limit, 2),
    exhaust: dynamic(Math.max(POPULAR_LIMIT, floodHits + 1), 2)
  }
}

/** Kademlia on 32-bit ids: each node's table holds up to K peers per bucket, drawn at random from that bucket. */
interface Kademlia {
  ids: Uint32Array
  tables: Uint32Array[]
}

function buildKademlia (size: number, random: () => number): Kademlia {
  const unique = new Set<number>()
  while (unique.size < size) unique.add(Math.floor(random() * 2 ** 32) >>> 0)
  const ids = Uint32Array.from(unique).sort()
  const lowerBound = (value: number): number => {
    let low = 0
    let high = size
    while (low < high) {
      const mid = (low + high) >>> 1
      if (ids[mid] < value) low = mid + 1
      else high = mid
    }
    return low
  }
  const tables: Uint32Array[] = []
  for (let v = 0; v < size; v++) {
    const peers: number[] = []
    for (let bit = 31; bit >= 0; bit--) {
      // bucket `bit`: ids that share every bit above `bit` with ours and differ at it — one contiguous range
      const flipped = (ids[v] ^ (2 ** bit)) >>> 0
      const start = Math.floor(flipped / 2 ** bit) * 2 ** bit
      const from = lowerBound(start)
      const to = lowerBound(start + 2 ** bit)
      const span = to - from
      if (span <= K) {
        for (let i = from; i < to; i++) peers.push(i)
      } else {
        const picked = new Set<number>()
        while (picked.size < K) picked.add(from + Math.floor(random() * span))
        peers.push(...picked)
      }
    }
    tables.push(Uint32Array.from(peers))
  }
  return { ids, tables }
}

/**
 * An iterative lookup for `key` from `origin`, α requests in flight per step,
 * that ends when it queries a peer among the K closest to the key (those
 * hold the provider record) — what findProviders waits for. Returns the
 * requests sent, or -1 if it got stuck.
 */
function lookup (dht: Kademlia, origin: number, key: number, closest: Set<number>): number {
  const distance = (v: number): number => (dht.ids[v] ^ key) >>> 0
  const known = new Map<number, number>()
  const queried = new Set<number>([origin])
  for (const peer of dht.tables[origin]) known.set(peer, distance(peer))
  let messages = 0
  while (true) {
    const candidates = [...known].filter(([peer]) => !queried.has(peer)).sort((a, b) => a[1] - b[1]).slice(0, ALPHA)
    if (candidates.length === 0) return -1
    for (const [peer] of candidates) {
      queried.add(peer)
      messages++
      if (closest.has(peer)) return messages
      // the peer answers with the K closest to the key that it knows
      const answer = [...dht.tables[peer]].map(p => [p, distance(p)] as const).sort((a, b) => a[1] - b[1]).slice(0, K)
      for (const [p, d] of answer) known.set(p, d)
    }
  }
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]
}

const started = performance.now()
const results: unknown[] = []
for (const size of values.nodes.split(',').map(Number)) {
  for (const degree of values.degree.split(',').map(Number)) {
    const random = mulberry32(Number(values.seed) + size + degree)
    const buildStarted = performance.now()
    const graph = randomGraph(size, degree, random)
    const rareWord = 'zqxvjkwpy'
    const rareNodes = new Set<number>()
    while (rareNodes.size < Math.max(1, Math.round(size * RARE_PER_10K / 10_000))) rareNodes.add(Math.floor(random() * size))
    const shares = buildShares(size, Number(values.files), random, rareWord, rareNodes)
    const fill = shares.slots.reduce((total, slots) => total + slots.length, 0) / size / 65_536
    const fillOfReach = reachFill(graph, shares, random)
    const seen = new Int8Array(size)
    const queue = new Int32Array((graph.edges.length + size) * 3)
    const rare = prepareQuery(rareWord, shares)
    const rows: QueryRow[] = []
    for (let q = 0; q < Number(values.queries); q++) {
      rows.push(keywordQuery(graph, shares, rare, Math.floor(random() * size), random, seen, queue))
    }
    // a popular word: the vocabulary's 50th most frequent (in a few % of the nodes)
    const popular = prepareQuery(shares.words[49], shares)
    const popularRow = keywordQuery(graph, shares, popular, Math.floor(random() * size), random, seen, queue, POPULAR_LIMIT)
    const buildMs = Math.round(performance.now() - buildStarted)

    const dht = buildKademlia(size, random)
    const lookups: number[] = []
    let failed = 0
    for (let i = 0; i < Number(values.lookups); i++) {
      const key = Math.floor(random() * 2 ** 32) >>> 0
      const closest = new Set([...dht.ids.keys()].sort((a, b) => ((dht.ids[a] ^ key) >>> 0) - ((dht.ids[b] ^ key) >>> 0)).slice(0, K))
      const messages = lookup(dht, Math.floor(random() * size), key, closest)
      if (messages < 0) failed++
      else lookups.push(messages)
    }
    const result = {
      nodes: size,
      degree,
      links: graph.edges.length / 2,
      tableFill: fill,
      reachFill: fillOfReach,
      rare: { matching: rare.matchCount, rows },
      popular: popularRow,
      lookup: { runs: Number(values.lookups), failed, median: median(lookups), p95: percentile(lookups, 0.95), max: Math.max(...lookups), bound: 3 * Math.log2(size) },
      ms: Math.round(performance.now() - buildStarted),
      simulateMs: buildMs
    }
    results.push(result)
    if (!values.json) {
      const r = (x: number): string => (x * 100).toFixed(x < 0.1 ? 1 : 0) + ' %'
      const avg = (pick: (row: QueryRow) => number): number => rows.reduce((t, row) => t + pick(row), 0) / rows.length
      const line = (label: string, outcome: (row: QueryRow) => DynamicOutcome): void => {
        console.log(`  ${label.padEnd(31)}${median(rows.map(x => outcome(x).messages)).toLocaleString('en').padStart(9)} messages, recall ${r(avg(x => outcome(x).recall))}, ${median(rows.map(x => outcome(x).rounds))} rounds: ${r(median(rows.map(x => outcome(x).messages / x.floodMessages)))} of (a), ${r(median(rows.map(x => outcome(x).messages / x.minimalMessages)))} of (b)`)
      }
      console.log(`\n${size.toLocaleString('en')} nodes, average degree ${degree} (${result.links.toLocaleString('en')} links), ${values.files} files each, table fill ${(fill * 100).toFixed(2)} %, reach table fill ${(fillOfReach * 100).toFixed(2)} %`)
      console.log(`rare word in ${rare.matchCount} nodes, ${rows.length} origins (medians):`)
      console.log(`  (a) plain flood TTL ${DEFAULT_TTL}:            ${median(rows.map(x => x.floodMessages)).toLocaleString('en').padStart(9)} messages, recall ${r(avg(x => x.floodRecall))}`)
      console.log(`  (b) plain flood, least TTL (${median(rows.map(x => x.minimalTtl))}):     ${median(rows.map(x => x.minimalMessages)).toLocaleString('en').padStart(9)} messages, same recall`)
      line('(c1) own tables + dynamic:', x => x.lastHop)
      line('(c2) own + reach + dynamic:', x => x.reach)
      line(`(c2') limit ${POPULAR_LIMIT} > what exists:`, x => x.exhaust)
      const popularShare = (outcome: DynamicOutcome): string => `${outcome.messages.toLocaleString('en')} (${r(outcome.messages / popularRow.floodMessages)}) in ${outcome.rounds} rounds`
      console.log(`popular word "${popular.word}" in ${popular.matchCount} nodes, limit ${POPULAR_LIMIT}: flood ${popularRow.floodMessages.toLocaleString('en')}, (c1) ${popularShare(popularRow.lastHop)}, (c2) ${popularShare(popularRow.reach)}`)
      console.log(`(d) Kademlia lookup by id (K ${K}, α ${ALPHA}), ${lookups.length} ok / ${failed} stuck: median ${result.lookup.median}, p95 ${result.lookup.p95}, max ${result.lookup.max} messages; 3 × log2 N = ${result.lookup.bound.toFixed(1)}`)
    }
  }
}
if (values.json) console.log(JSON.stringify(results))
else console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`)
