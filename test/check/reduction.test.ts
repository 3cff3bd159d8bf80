// Soundness of the explorer's commutation merging on the shipped models: with it on and off, a configuration
// gets the same verdict and reaches its `sometimes` goals at the same depth, and a mutant's shortest
// counterexample has the same length — while merging really does merge (pinned counts with and without).

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { findMutant } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';

const now = () => 0;

/** Distinct states with merging on and off: equal counts would mean the reduction does nothing. */
const COUNTS: [scenario: string, config: string | undefined, on: number, off: number][] = [
  ['relay-ring', undefined, 318, 632],
  ['ha-mixed', 'shared-nic', 1036, 2073],
  ['ha-partition', 'cut', 3203, 3489],
];

describe('reduction', () => {
  for (const [name, config, statesOn, statesOff] of COUNTS) {
    it(`Check: ${name}${config ? ` ${config}` : ''}: merging keeps the verdict and the goals' depths with ${statesOn} states instead of ${statesOff}`, () => {
      const req = { scenario: findScenario(name), mode: 'bfs' as const, now, ...(config ? { config } : {}) };
      const on = runCheck({ ...req, reduce: true }).result;
      const off = runCheck({ ...req, reduce: false }).result;
      expect([on.verdict, off.verdict]).toEqual(['holds', 'holds']);
      expect(on.sometimes.map((s) => [s.name, s.reachedAtStep])).toEqual(
        off.sometimes.map((s) => [s.name, s.reachedAtStep]),
      );
      expect(on.maxDepth).toBe(off.maxDepth);
      expect([on.states, off.states]).toEqual([statesOn, statesOff]);
    });
  }

  for (const name of ['release-on-send', 'no-fencing', 'deliver-repeats', 'accept-any-reply']) {
    it(`Check: ${name}: the same shortest counterexample with and without merging`, () => {
      const m = findMutant(name);
      const req = {
        scenario: findScenario(m.scenario),
        mode: 'bfs' as const,
        now,
        mutant: m.name,
        ...(m.config !== undefined ? { config: m.config } : {}),
      };
      const on = runCheck({ ...req, reduce: true }).result.counterexample;
      const off = runCheck({ ...req, reduce: false }).result.counterexample;
      expect([on?.violation.spec, off?.violation.spec]).toEqual([m.expectedSpec, m.expectedSpec]);
      expect(on?.steps).toBe(off?.steps);
    });
  }
});
