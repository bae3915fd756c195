/**
 * The environment a background daemon is started with: two memory settings
 * measured on a daemon serving 32 peers at once (docs/benchmarks.md "Memory
 * under load"); a user's own NODE_OPTIONS or MALLOC_ARENA_MAX wins.
 */

/** V8's young generation: its default semi-spaces kept ~100 MiB of heap reserved for ~35 MiB used. */
const SEMI_SPACE_OPTION = '--max-semi-space-size=8'
/** glibc's malloc arenas: every thread (libuv's pool, V8's helpers) gets one, and freed buffers stay in them. */
const MALLOC_ARENAS = '2'

/** `env` with the daemon's memory settings added where the user set none. */
export function daemonProcessEnv (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const nodeOptions = env.NODE_OPTIONS ?? ''
  return {
    ...env,
    NODE_OPTIONS: nodeOptions.includes('--max-semi-space-size') ? nodeOptions : `${nodeOptions} ${SEMI_SPACE_OPTION}`.trim(),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? MALLOC_ARENAS
  }
}
