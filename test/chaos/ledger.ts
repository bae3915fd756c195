/** What a chaos run promises, by key; the text is what the report prints. */
export const INVARIANTS = {
  downloadsMatchSource: 'every completed download hashes to its source (SHA-256)',
  noUnverifiedFiles: 'no file in a download folder that is not a shared source (watched during the run, scanned at the end)',
  restartsSucceed: 'every daemon taken down starts again (`peerit start` after kill -9 or stop)',
  statusAnswers: 'every daemon that is up answers `status` within the bound',
  contactsSurvive: 'contacts never drop below their count before a restart (except after `disconnect`)',
  sharedIndexSurvives: '`list shared` still lists every indexed id after every restart',
  downloadsResume: 'interrupted downloads resume: `peerit downloads` empties by the end',
  searchMatches: 'search results match the words and the type asked for'
} as const

/** The key of one invariant. */
export type InvariantKey = keyof typeof INVARIANTS

/** What happened, by name (kills, fetches, downloads completed …). */
export type Counts = Record<string, number>

/** How an invariant fared: how often it was checked, and the violations seen (at most a few kept in full). */
export interface InvariantResult {
  key: InvariantKey
  description: string
  held: boolean
  checks: number
  violations: number
  examples: string[]
}

/** The outcome of a chaos run: its parameters, what it did, measurements, and each invariant. */
export interface ChaosReport {
  seed: number
  peers: number
  seconds: number
  files: number
  sharedBytes: number
  counts: Counts
  downloadFailures: Counts
  measurements: Record<string, number>
  invariants: InvariantResult[]
  ok: boolean
}

/** Violations kept word for word per invariant; the rest are only counted. */
const MAX_EXAMPLES = 5

/**
 * The run's book-keeping: counters, download failure reasons, measurements
 * (kept as maxima) and, per invariant, the checks made and the violations.
 */
export class Ledger {
  readonly counts: Counts = {}
  readonly downloadFailures: Counts = {}
  readonly measurements: Record<string, number> = {}
  private readonly checks = new Map<InvariantKey, number>()
  private readonly violations = new Map<InvariantKey, string[]>()
  private readonly violationCounts = new Map<InvariantKey, number>()

  /** Adds `n` to a counter. */
  count (name: string, n = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + n
  }

  /** Records why a download did not complete. */
  downloadFailed (reason: string): void {
    this.count('downloadsFailed')
    this.downloadFailures[reason] = (this.downloadFailures[reason] ?? 0) + 1
  }

  /** Keeps the largest value seen of a measurement. */
  max (name: string, value: number): void {
    this.measurements[name] = Math.max(this.measurements[name] ?? value, value)
  }

  /** Records that an invariant was checked, and whether it held; `detail` says what was seen when it did not. */
  check (key: InvariantKey, held: boolean, detail: () => string): void {
    this.checks.set(key, (this.checks.get(key) ?? 0) + 1)
    if (held) {
      return
    }
    this.violationCounts.set(key, (this.violationCounts.get(key) ?? 0) + 1)
    const examples = this.violations.get(key) ?? []
    if (examples.length < MAX_EXAMPLES) {
      examples.push(detail())
    }
    this.violations.set(key, examples)
  }

  /** Every invariant with its checks and violations. */
  invariants (): InvariantResult[] {
    return (Object.keys(INVARIANTS) as InvariantKey[]).map(key => {
      const violations = this.violationCounts.get(key) ?? 0
      return {
        key,
        description: INVARIANTS[key],
        held: violations === 0,
        checks: this.checks.get(key) ?? 0,
        violations,
        examples: this.violations.get(key) ?? []
      }
    })
  }
}

/** The report as text for a terminal. */
export function formatReport (report: ChaosReport): string {
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1)
  const lines = [
    `chaos run: seed ${report.seed}, ${report.peers} peers, ${report.seconds} s, ${report.files} files (${mib(report.sharedBytes)} MiB shared)`,
    '',
    'what it did:',
    ...Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `  ${name.padEnd(28)} ${n}`)
  ]
  if (Object.keys(report.downloadFailures).length > 0) {
    lines.push('', 'downloads that did not complete, by reason:',
      ...Object.entries(report.downloadFailures).sort(([, a], [, b]) => b - a).map(([reason, n]) => `  ${String(n).padStart(4)}  ${reason}`))
  }
  lines.push('', 'measured:', ...Object.entries(report.measurements).sort(([a], [b]) => a.localeCompare(b)).map(([name, n]) => `  ${name.padEnd(28)} ${n}`))
  lines.push('', 'invariants:')
  for (const invariant of report.invariants) {
    lines.push(`  ${invariant.held ? 'held    ' : 'VIOLATED'} ${invariant.description} (${invariant.checks} checks${invariant.held ? '' : `, ${invariant.violations} violations`})`)
    lines.push(...invariant.examples.map(example => `           - ${example}`))
  }
  lines.push('', report.ok ? 'every invariant held' : 'SOME INVARIANTS WERE VIOLATED')
  return lines.join('\n')
}
