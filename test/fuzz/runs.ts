/**
 * How many inputs each fuzz surface tries. Small in the normal test run (the
 * whole folder stays within a few seconds per file); `npm run fuzz` sets
 * FUZZ_RUNS=100000 for the long run.
 */
const requested = Number(process.env.FUZZ_RUNS ?? 300)

/** Inputs per surface (at least 1; a non-number in FUZZ_RUNS falls back to 300). */
export const FUZZ_RUNS = Number.isSafeInteger(requested) && requested > 0 ? requested : 300

/** True in the long run: tests then print their figures for docs/security.md. */
export const LONG_RUN = FUZZ_RUNS >= 10_000

/**
 * A fixed seed unless FUZZ_SEED is set, so a failure in CI replays locally;
 * fast-check prints the seed and path of any counterexample.
 */
export const FUZZ_SEED = process.env.FUZZ_SEED != null ? Number(process.env.FUZZ_SEED) : undefined

/** fast-check parameters for a surface that runs `runs` property cases. */
export function fuzzParameters (runs: number = FUZZ_RUNS): { numRuns: number, seed?: number, endOnFailure: boolean } {
  // endOnFailure: shrinking a network case can take minutes; the seed and path are enough to replay it
  return FUZZ_SEED == null ? { numRuns: runs, endOnFailure: true } : { numRuns: runs, seed: FUZZ_SEED, endOnFailure: true }
}
