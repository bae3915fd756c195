/** "1.5 MiB" */
export function formatBytes (bytes: number): string
/** "3m 20s"; `unknown` (default "?") for a duration that is not one (infinite, NaN, negative). */
export function formatDuration (seconds: number, unknown?: string): string
