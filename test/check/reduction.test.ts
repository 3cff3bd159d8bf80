// Soundness of the explorer's reductions on the shipped models: with commutation merging on and off, every
// scenario gets the same verdict, reaches the same `sometimes` states at the same depth, and every mutant
// yields a counterexample for the same spec with the same (shortest) length.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';

const now = () => 0;

describe('reduction', () => {
  for (const name of ['relay-ring', 'ha-steady', 'ha-failover', 'ha-partition', 'ha-mixed']) {
    it(`Check: ${name}: commutation merging keeps the verdict and the reachable states, with fewer states`, () => {
      const on = runCheck({ scenario: findScenario(name), mode: 'bfs', now, reduce: true }).result;
      const off = runCheck({ scenario: findScenario(name), mode: 'bfs', now, reduce: false }).result;
      expect(on.verdict).toBe(off.verdict);
      expect(on.exhausted && off.exhausted).toBe(true);
      expect(on.sometimes.map((s) => [s.name, s.reachedAtStep])).toEqual(
        off.sometimes.map((s) => [s.name, s.reachedAtStep]),
      );
      expect(on.maxDepth).toBe(off.maxDepth);
      expect(on.states).toBeLessThanOrEqual(off.states);
    });
  }

  for (const m of mutants) {
    it(`Check: ${m.name}: the same shortest counterexample length with and without merging`, () => {
      const req = {
        scenario: findScenario(m.scenario),
        mode: 'bfs' as const,
        now,
        mutant: m.name,
        params: { ...(m.params ?? {}) },
      };
      const on = runCheck({ ...req, reduce: true }).result.counterexample;
      const off = runCheck({ ...req, reduce: false }).result.counterexample;
      expect(on?.violation.spec).toBe(m.expectedSpec);
      expect(off?.violation.spec).toBe(m.expectedSpec);
      expect(on?.steps).toBe(off?.steps);
    });
  }
});
