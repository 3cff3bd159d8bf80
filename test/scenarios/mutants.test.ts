// Each planted bug (src/mutants) is caught by exactly the spec meant to catch it, within 200 seeds.
// The assertion message carries the CLI command that reproduces the counterexample.

import { describe, expect, it } from 'vitest';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';
import { reproduce } from './haHelpers.js';

describe('mutants', () => {
  for (const m of mutants) {
    it(`Mutants: ${m.scenario}: ${m.name} violates ${m.expectedSpec}`, () => {
      const scenario = findScenario(m.scenario);
      const params = { ...(m.params ?? {}) };
      let found: { seed: number; spec: string; message: string } | null = null;
      for (let seed = 1; seed <= 200 && found === null; seed++) {
        const o = simulate({ scenario, seed, params, mutant: m.name });
        const v = o.result.violation;
        if (v !== null) found = { seed, spec: v.spec, message: v.message };
      }
      expect(found, `no seed in 1..200 exposed mutant ${m.name}`).not.toBeNull();
      const cmd = reproduce(m.scenario, found?.seed ?? 0, params, m.name);
      expect(found?.spec, `${found?.message}\n  reproduce: ${cmd}`).toBe(m.expectedSpec);
      // The same seed without the mutant holds: the violation is the bug's, not the scenario's.
      const clean = simulate({ scenario, seed: found?.seed ?? 0, params });
      expect(
        clean.result.violation,
        `unmutated run also fails: ${reproduce(m.scenario, found?.seed ?? 0, params)}`,
      ).toBeNull();
    });
  }
});
