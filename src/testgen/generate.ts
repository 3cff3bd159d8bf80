// Test generation for a set of machines: inputs from real assemblies, events from samples and real runs.
// Shared by `statevisor gen-tests`, `npm run gen-tests` and the staleness test of the committed vectors.

import type { AnyStateMachine } from 'xstate';
import { sampleEvents } from '../machines.js';
import { assemblyInputs, observedEvents, observedRuns } from './inputs.js';
import { generateMachineTests, type MachineTests } from './machineTests.js';

export function generateFor(
  selected: readonly AnyStateMachine[],
  pathKind: 'shortest' | 'simple' = 'shortest',
): MachineTests[] {
  const inputs = assemblyInputs();
  const observed = observedEvents();
  const runs = observedRuns();
  return selected.map((m) =>
    generateMachineTests(
      m,
      inputs[m.id] ?? { default: undefined },
      [...(sampleEvents[m.id] ?? []), ...(observed[m.id] ?? [])],
      pathKind,
      runs[m.id] ?? [],
    ),
  );
}

/** Coverage in percent of transitions that are reachable (covered, or not named unreachable with a reason). */
export function coveragePercent(t: MachineTests): number {
  const total = t.coverage.transitions.total;
  return total === 0 ? 100 : (100 * t.coverage.transitions.covered) / total;
}
