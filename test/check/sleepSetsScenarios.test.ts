// Sleep sets are sound on every shipped scenario and on the user-style examples: with them on and off a check
// configuration visits the same states, reaches the same depths and goals, and gets the same verdict.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CheckRequest, runCheck } from '../../src/check/check.js';
import type { ExploreResult } from '../../src/check/explore.js';
import { scenarios } from '../../src/scenarios/index.js';
import { loadScenario } from '../../src/scenarios/load.js';

/**
 * Configurations over ~1.5 s a search here, left to the full run (SLEEP_SETS_ALL=1) to keep `npm test` short; each
 * scenario keeps at least one configuration in every run. All of them agreed when sleep sets landed.
 */
const LARGE = new Set([
  'ha-failover crash',
  'ha-failover crash-lossy',
  'ha-partition degrade-then-isolate',
  'mem-switch crash',
  'mem-checkpoint m3',
  'translate-multiprocess cpu-crash',
  'translate-pagesize jitter',
  'translate-pagesize cpu-crash',
  'translate-bind cpu-crash',
]);
const ALL = process.env.SLEEP_SETS_ALL === '1';

/** What sleep sets must not change: everything but the transitions taken. */
function outcome(r: ExploreResult): unknown {
  return {
    verdict: r.verdict,
    exhausted: r.exhausted,
    states: r.states,
    maxDepth: r.maxDepth,
    terminalStates: r.terminalStates,
    sometimes: r.sometimes.map((s) => [s.name, s.reachedAtStep]),
    counterexample: r.counterexample?.steps ?? null,
    unobserved: r.unobserved,
  };
}

describe('sleep sets on every shipped scenario', () => {
  for (const scenario of scenarios) {
    const configs = (scenario.checks ?? []).map((c) => c.name);
    for (const config of configs.length > 0 ? configs : [undefined]) {
      const label = `${scenario.name}${config !== undefined ? ` ${config}` : ''}`;
      it.runIf(ALL || !LARGE.has(label))(
        `Check: ${label}: the same states, depths, goals and verdict with sleep sets, in no more transitions`,
        () => {
          const req: CheckRequest = { scenario, mode: 'bfs', now: () => 0, ...(config ? { config } : {}) };
          const off = runCheck(req).result;
          const on = runCheck({ ...req, sleepSets: true }).result;
          expect(outcome(on)).toEqual(outcome(off));
          expect(on.transitions).toBeLessThanOrEqual(off.transitions);
          expect(off.sleep).toBeNull();
        },
      );
    }
  }
});

/**
 * The examples are scenarios as a user writes them (their own machines, specs and mutants, loaded from a file). Sleep
 * sets do not combine with a symmetry yet, so two-phase commit's is off on both sides.
 */
describe('sleep sets on the examples a user would write', () => {
  for (const file of ['alternating-bit.ts', 'two-phase-commit.ts', 'lease-handover.ts']) {
    it(`Check: examples/${file}: every configuration and mutant the same with sleep sets`, async () => {
      const scenario = await loadScenario(join(import.meta.dirname, '../../examples', file));
      const runs: CheckRequest[] = [
        ...(scenario.checks ?? []).map((c) => ({
          scenario,
          mode: 'bfs' as const,
          now: () => 0,
          config: c.name,
          symmetry: false,
        })),
        ...(scenario.mutants ?? []).map((m) => ({
          scenario,
          mode: 'bfs' as const,
          symmetry: false,
          now: () => 0,
          mutant: m.name,
          ...(m.config !== undefined ? { config: m.config } : {}),
        })),
      ];
      for (const req of runs) {
        const off = runCheck(req).result;
        const on = runCheck({ ...req, sleepSets: true }).result;
        expect(outcome(on), `${file} ${req.config ?? ''} ${req.mutant ?? ''}`).toEqual(outcome(off));
        expect(on.counterexample?.violation.spec).toBe(off.counterexample?.violation.spec);
      }
    });
  }
});
