// The explorer on the shipped models: pinned distinct-state counts (as Stateright pins unique_state_count),
// BFS counterexamples of pinned length for every mutant, and their replay violating the same spec at the same step.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';
import { replayTrace } from '../../src/simulate.js';

const now = () => 0;

function check(name: string, extra: Partial<Parameters<typeof runCheck>[0]> = {}) {
  return runCheck({ scenario: findScenario(name), mode: 'bfs', now, ...extra });
}

describe('explore', () => {
  const pinned: [string, number, number][] = [
    ['relay-ring', 318, 615],
    ['ha-steady', 161, 189],
    ['ha-failover', 1549, 1854],
    ['ha-partition', 691, 843],
    ['ha-mixed', 281, 470],
  ];
  for (const [name, states, transitions] of pinned) {
    it(`Check: ${name}: the small configuration is exhausted with ${states} distinct states`, () => {
      const r = check(name).result;
      expect(r.verdict).toBe('holds');
      expect(r.exhausted).toBe(true);
      expect(r.states).toBe(states);
      expect(r.transitions).toBe(transitions);
    });
  }

  it('Check: ping-pong: 24784 distinct states with loss, duplication and two latencies', () => {
    const r = check('ping-pong').result;
    expect([r.verdict, r.states, r.transitions]).toEqual(['holds', 24784, 88158]);
    // Reachability: the interesting states really are reached, so the verdict is not vacuous.
    expect(r.sometimes.map((x) => [x.name, x.reachedAtStep !== null])).toEqual([
      ['ping-given-up', true],
      ['stale-reply', true],
    ]);
  });

  it('Check: DFS visits exactly the states BFS visits', () => {
    for (const name of ['relay-ring', 'ha-failover']) {
      expect(check(name, { mode: 'dfs' }).result.states).toBe(check(name).result.states);
    }
  });

  it('Check: bounds are reported as hit, not as a proof', () => {
    const states = check('ping-pong', { maxStates: 50 }).result;
    expect([states.verdict, states.exhausted, states.boundsHit]).toEqual(['bound-hit', false, ['states']]);
    const depth = check('ha-failover', { maxDepth: 10 }).result;
    expect([depth.verdict, depth.boundsHit]).toEqual(['bound-hit', ['depth']]);
  });

  const lengths: Record<string, number> = {
    'release-on-send': 11,
    'resume-latest-received': 52,
    'no-fencing': 47,
    'lost-dirty-bit': 31,
    'never-release': 121,
    'accept-any-reply': 3,
  };
  for (const m of mutants) {
    it(`Check: ${m.scenario}: BFS finds ${m.name} as a ${lengths[m.name]}-step ${m.expectedSpec} counterexample`, () => {
      const report = check(m.scenario, { mutant: m.name, params: { ...(m.params ?? {}) } });
      const cex = report.result.counterexample;
      expect(cex?.violation.spec).toBe(m.expectedSpec);
      expect(cex?.steps).toBe(lengths[m.name]);
      // Re-executed from its choices, the path violates the same spec at the same step...
      expect(report.trace?.violatedAtStep).toBe(cex?.steps);
      // ...and the trace written for it replays byte-identically.
      expect(replayTrace(report.trace?.text ?? '', 'cex.jsonl').identical).toBe(true);
    });
  }
});
