/**
 * Flood benchmark for /peerit/fetch (1.1 between these nodes; a plain fetch,
 * so no routing table thins it out): N real libp2p nodes in this process
 * on 127.0.0.1, a random connected graph (average degree 4). For TTL 1..7 it
 * reports reach (against the ideal: every peer within TTL hops), request
 * messages against the bound of 2 × links, bytes per fetch, and time to
 * completion against (farthest hop) × (one-hop round trip).
 *
 *   npx node bench/flood.ts [--nodes 100] [--degree 4] [--runs 3] [--seed 1] [--hop-timeout 10000] [--json]
 */
import { parseArgs } from 'node:util'
import { createFetchNetwork, hopDistances, randomGraphEdges } from '../test/fixtures/fetch-network.ts'
import type { FetchNetwork } from '../test/fixtures/fetch-network.ts'

interface Row {
  ttl: number
  reached: number
  ideal: number
  requests: number
  requestBound: number
  bytes: number
  durationMs: number
  farthestHop: number
  hopsTimesRttMs: number
}

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '100' },
    degree: { type: 'string', default: '4' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'hop-timeout': { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false }
  }
})
const size = Number(values.nodes)
const runs = Number(values.runs)
const edges = randomGraphEdges(size, Number(values.degree), Number(values.seed))

function sum (network: FetchNetwork, pick: (stats: ReturnType<typeof statsOf>) => number): number {
  return network.nodes.reduce((total, node) => total + pick(statsOf(node)), 0)
}

function statsOf (node: FetchNetwork['nodes'][number]): FetchNetwork['nodes'][number]['libp2p']['services']['peeritFetch']['stats'] {
  return node.libp2p.services.peeritFetch.stats
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

const buildStarted = performance.now()
const network = await createFetchNetwork({ size, edges, fetch: { hopTimeoutMs: Number(values['hop-timeout']) }, connectTimeoutMs: 600_000 })
const buildMs = Math.round(performance.now() - buildStarted)
try {
  const origins = Array.from({ length: runs }, (_, run) => (run * 7919) % size)
  // one-hop round trip: a TTL-1 fetch asks only the neighbours
  const oneHop: number[] = []
  for (const origin of origins) {
    for (let i = 0; i < 3; i++) {
      oneHop.push((await network.nodes[origin].libp2p.services.peeritFetch.fetch({ ttl: 1 })).durationMs)
    }
  }
  const rttMs = Math.max(1, median(oneHop))

  const rows: Row[] = []
  for (let ttl = 1; ttl <= 7; ttl++) {
    const samples: Row[] = []
    for (const origin of origins) {
      const distances = hopDistances(size, edges, origin)
      const requestsBefore = sum(network, stats => stats.originated + stats.forwarded)
      const bytesBefore = sum(network, stats => stats.bytesOut)
      const result = await network.nodes[origin].libp2p.services.peeritFetch.fetch({ ttl })
      const farthestHop = Math.max(0, ...result.records.map(record => record.hops))
      samples.push({
        ttl,
        reached: result.peersReached,
        ideal: distances.filter(distance => distance > 0 && distance <= ttl).length,
        requests: sum(network, stats => stats.originated + stats.forwarded) - requestsBefore,
        requestBound: 2 * edges.length,
        bytes: sum(network, stats => stats.bytesOut) - bytesBefore,
        durationMs: result.durationMs,
        farthestHop,
        hopsTimesRttMs: farthestHop * rttMs
      })
    }
    rows.push({
      ttl,
      reached: median(samples.map(s => s.reached)),
      ideal: median(samples.map(s => s.ideal)),
      requests: median(samples.map(s => s.requests)),
      requestBound: 2 * edges.length,
      bytes: median(samples.map(s => s.bytes)),
      durationMs: median(samples.map(s => s.durationMs)),
      farthestHop: median(samples.map(s => s.farthestHop)),
      hopsTimesRttMs: median(samples.map(s => s.hopsTimesRttMs))
    })
  }

  const memoryMiB = Math.round(process.memoryUsage().rss / 2 ** 20)
  if (values.json) {
    console.log(JSON.stringify({ nodes: size, links: edges.length, runs, buildMs, oneHopRttMs: rttMs, memoryMiB, rows }))
  } else {
    console.log(`${size} nodes, ${edges.length} links (average degree ${(2 * edges.length / size).toFixed(1)}), built in ${buildMs} ms, RSS ${memoryMiB} MiB`)
    console.log(`one-hop round trip (TTL-1 fetch, median): ${rttMs} ms; medians of ${runs} origins per row\n`)
    console.log('TTL | reached / ideal | requests / 2×links | bytes/fetch | time ms | far hop | hops×RTT ms | time ÷ (hops×RTT)')
    for (const row of rows) {
      console.log([
        String(row.ttl).padStart(3),
        `${row.reached} / ${row.ideal}`.padStart(15),
        `${row.requests} / ${row.requestBound}`.padStart(18),
        String(row.bytes).padStart(11),
        String(row.durationMs).padStart(7),
        String(row.farthestHop).padStart(7),
        String(row.hopsTimesRttMs).padStart(11),
        (row.durationMs / Math.max(1, row.hopsTimesRttMs)).toFixed(2).padStart(17)
      ].join(' | '))
    }
  }
} finally {
  await network.close()
}
