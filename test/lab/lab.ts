/**
 * One NAT lab run: leftovers of earlier runs removed, the network built, the
 * scenario run, and every namespace deleted whatever happens — on success,
 * on failure, and on SIGINT/SIGTERM (the signal then ends the process).
 */
import { Namespaces } from './netns.ts'
import { runScenario } from './scenario.ts'
import { buildTopology } from './topology.ts'
import type { LabCheck, LabSizes } from './scenario.ts'

/** Builds the lab, runs the scenario, tears everything down; resolves with the checks. */
export async function runLab (sizes: LabSizes, onCheck: (check: LabCheck) => void = () => {}): Promise<LabCheck[]> {
  Namespaces.removeLeftovers()
  const ns = new Namespaces()
  const onSignal = (signal: NodeJS.Signals): void => {
    ns.deleteAll()
    process.kill(process.pid, signal)
  }
  const onExit = (): void => { ns.deleteAll() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('exit', onExit)
  try {
    await buildTopology(ns)
    return await runScenario(ns, sizes, onCheck)
  } finally {
    ns.deleteAll()
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('exit', onExit)
  }
}
