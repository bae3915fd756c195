/** AbortSignal helpers: every network wait in this protocol carries a signal. */
import { setMaxListeners } from 'main-event'

/**
 * One signal that aborts when any of `signals` does. Many streams listen on
 * the same composite signal at once, so Node's listener-leak warning (meant
 * for accidental leaks) is switched off for it, as libp2p does.
 */
export function anySignal (signals: Array<AbortSignal | undefined>): AbortSignal {
  const signal = AbortSignal.any(signals.filter(signal => signal != null))
  setMaxListeners(Infinity, signal)
  return signal
}

/** `AbortSignal.timeout` for a computed remaining time: whole ms, never negative (a spent budget aborts at once). */
export function timeoutSignal (ms: number): AbortSignal {
  return AbortSignal.timeout(Math.max(0, Math.floor(ms)))
}
