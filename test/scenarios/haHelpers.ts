// Shared helpers of the HA scenario tests: run many seeds of a scenario and report any violation with its
// reproduce command, so a failing seed can be re-run from the CLI as it stands.

import { expect } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { type SimulateOutcome, simulate } from '../../src/simulate.js';

export function reproduce(scenario: string, seed: number, params: Record<string, string>, mutant?: string): string {
  const sets = Object.entries(params).map(([k, v]) => ` --set ${k}=${v}`);
  return `npx statevisor run ${scenario} --seed ${seed}${sets.join('')}${mutant ? ` --mutant ${mutant}` : ''}`;
}

/** Runs seeds 1..count and asserts every spec held; returns the outcomes' summaries for reachability checks. */
export function expectSpecsHold(scenario: string, count: number, params: Record<string, string> = {}) {
  const sc = findScenario(scenario);
  const metrics: SimulateOutcome['summary']['metrics'][] = [];
  for (let seed = 1; seed <= count; seed++) {
    const o = simulate({ scenario: sc, seed, params });
    const v = o.result.violation;
    expect(
      v,
      v ? `${v.spec} violated at step ${v.step}: ${v.message}\n  reproduce: ${reproduce(scenario, seed, params)}` : '',
    ).toBeNull();
    metrics.push(o.summary.metrics);
  }
  return metrics;
}
