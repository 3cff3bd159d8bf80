// The lockstep scenarios end to end (M5): every output agreed before it leaves and taken once by the outside world;
// an internal divergence tolerated, one that reaches output resynchronised; failover either way; the checks hold
// exhaustively and every planted bug is caught by its spec; bad parameters are one line naming the field.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import {
  lockstepDivergenceMutants,
  lockstepFailoverMutants,
  lockstepSteadyMutants,
} from '../../src/mutants/lockstep.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { runScenario } from './runHelpers.js';

const steady = findScenario('lockstep-steady');
const divergence = findScenario('lockstep-divergence');
const failover = findScenario('lockstep-failover');
const SHORT = { slices: '150' };

describe('lockstep scenarios', () => {
  it('M5: lockstep: bad parameters are one line naming the field', () => {
    const bad: [Record<string, string>, string][] = [
      [
        { peerTimeoutUs: '1500' },
        'peerTimeoutUs: 1500 is not above 2700 µs (a resend plus a late round trip): a live peer would be declared lost',
      ],
      [{ worldUs: '6000' }, 'worldUs: 6000 must be below peerTimeoutUs (5000)'],
      [{ outputWithinUs: '9000' }, 'outputWithinUs: 9000 is not above 13440 µs (a failover and a full hold)'],
      [{ crashFromUs: '9', crashToUs: '3' }, 'crashToUs: 3 is before crashFromUs (9)'],
      [{ linkMinUs: '9', linkMaxUs: '3' }, 'linkMaxUs: 3 is below linkMinUs (9)'],
    ];
    for (const [params, line] of bad) expect(() => resolveParams(steady, params)).toThrow(new InputError(line));
  });

  it('M5: lockstep-steady: every output is agreed by replay and taken once, in well under a millisecond', () => {
    const { o, m, how } = runScenario(steady, SHORT);
    expect(o.result.violation, how).toBeNull();
    expect(o.result.reason, how).toBe('quiescent');
    expect([m.outputs, m.accepted, m.agreements, m.repeats, m.resyncs], how).toEqual([750, 750, 750, 0, 0]);
    expect(m.latencyP50Us as number, how).toBeLessThan(1_000);
    expect(m.logMbps as number, how).toBeGreaterThan(5);
    expect(m.digestsEqual, how).toBe(true);
  });

  it('M5: lockstep-divergence: a statistics-word flip is tolerated; a data-word flip is resynchronised once', () => {
    const internal = runScenario(divergence, { ...SHORT, outputAtUs: '-1' });
    expect(internal.o.result.violation, internal.how).toBeNull();
    expect([internal.m.injections, internal.m.mismatches, internal.m.resyncs], internal.how).toEqual([1, 0, 0]);
    expect(internal.m.digestsEqual, internal.how).toBe(false);
    const both = runScenario(divergence, SHORT);
    expect(both.o.result.violation, both.how).toBeNull();
    expect([both.m.injections, both.m.resyncs, both.m.accepted], both.how).toEqual([2, 1, 750]);
    expect(both.m.digestsEqual, both.how).toBe(true);
    const stale = runScenario(divergence, { ...SHORT, tBit: 'false', internalKind: '1', outputAtUs: '-1' });
    expect(stale.m.resyncs, `without the T bit an eviction reaches output: ${stale.how}`).toBe(1);
  });

  it('M5: lockstep-failover: either host crashes and the other goes on; each output reaches the world once', () => {
    for (const victim of ['1', '2']) {
      const { o, m, how } = runScenario(failover, { ...SHORT, crashVictim: victim });
      expect(o.result.violation, how).toBeNull();
      expect([m.accepted, m.outOfOrder], how).toEqual([750, 0]);
      expect(m.crashed, how).toBe(victim === '1' ? 'primary' : 'secondary');
      expect((victim === '1' ? m.liveOutputs : m.dispatchedAlone) as number, how).toBeGreaterThan(0);
    }
  });

  it('M5: lockstep: the crash check holds exhaustively; every planted bug is caught by its spec', () => {
    const r = runCheck({ scenario: failover, mode: 'bfs', now: () => 0, config: 'crash' }).result;
    expect([r.verdict, r.exhausted, r.states]).toEqual(['holds', true, 1166]);
    const all = [
      ...lockstepSteadyMutants.map((m) => [steady, m] as const),
      ...lockstepDivergenceMutants.map((m) => [divergence, m] as const),
      ...lockstepFailoverMutants.map((m) => [failover, m] as const),
    ];
    for (const [scenario, m] of all) {
      const k = runCheck({ scenario, mode: 'bfs', now: () => 0, config: m.config ?? '', mutant: m.name }).result;
      const how = `npx statevisor check ${scenario.name} --config ${m.config} --mutant ${m.name}`;
      expect(k.counterexample?.violation.spec, how).toBe(m.expectedSpec);
    }
  });
});
