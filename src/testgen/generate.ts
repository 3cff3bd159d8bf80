// Test generation for a set of machines: inputs from real assemblies, events from samples and real runs, all
// from the sources it is given. Shared by `statevisor gen-tests`, `npm run gen-tests` and the staleness test.

import type { AnyStateMachine } from 'xstate';
import { assemblyInputs, observedEvents, observedRuns } from './inputs.js';
import { generateMachineTests, type MachineTests } from './machineTests.js';
import type { TestgenSources } from './sources.js';

export function generateFor(
  selected: readonly AnyStateMachine[],
  sources: TestgenSources,
  pathKind: 'shortest' | 'simple' = 'shortest',
): MachineTests[] {
  const inputs = assemblyInputs(sources.assemblies);
  const observed = observedEvents(sources.observed);
  const runs = observedRuns(sources.runs);
  return selected.map((m) =>
    generateMachineTests(
      m,
      own(inputs, m.id) ?? { default: undefined },
      [...(own(sources.sampleEvents, m.id) ?? []), ...(own(observed, m.id) ?? [])],
      pathKind,
      own(runs, m.id) ?? [],
    ),
  );
}

/** An own entry only: a user's machine called `constructor` has no entry, not Object's. */
function own<T>(table: Readonly<Record<string, T>>, id: string): T | undefined {
  return Object.hasOwn(table, id) ? table[id] : undefined;
}

/** Coverage in percent of the machine's transitions that the vectors take. */
export function coveragePercent(t: MachineTests): number {
  const total = t.coverage.transitions.total;
  return total === 0 ? 100 : (100 * t.coverage.transitions.covered) / total;
}
