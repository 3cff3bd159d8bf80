// The faulty-device scenario end to end (M15/M16): bad parameters are one line, the three modes answer the same
// workload as they promise (errors, fakes, diverted real answers), with one trap per faulty resource when the
// handler remaps; a harsh link and device-host crashes are survived; the small check and the planted bugs.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import { faultyMutants } from '../../src/mutants/faulty.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { runScenario } from './runHelpers.js';

const scenario = findScenario('faulty-device');

function run(mode: number, extra: Readonly<Record<string, string>> = {}, seed = 1) {
  return runScenario<Record<string, number>>(scenario, { accesses: '200', mode: String(mode), ...extra }, seed);
}

describe('faulty-device scenario', () => {
  it('M15: faulty-device: bad parameters are one line naming the field', () => {
    const bad: [Record<string, string>, string][] = [
      [{ mode: '3' }, 'mode: 3 is out of range; expected an integer in [0, 2]'],
      [{ resources: '0' }, 'resources: 0 is out of range; expected an integer in [1, 64]'],
      [{ faulty: '5' }, 'faulty: 5 exceeds resources (4)'],
      [{ linkMinUs: '50', linkMaxUs: '40' }, 'linkMaxUs: 40 is below linkMinUs (50)'],
      [{ holdMax: '2' }, 'holdMax: 2 is below window (4); every outstanding access must fit'],
      [{ retransmitUs: '30' }, "retransmitUs: 30 is below one access's round trip (44 µs)"],
      [{ answerBoundUs: '10' }, "answerBoundUs: 10 is below one access's round trip (44 µs)"],
      [{ devFromUs: '50', devToUs: '10' }, 'devToUs: 10 is before devFromUs (50)'],
      [{ failFromUs: '50', failToUs: '10' }, 'failToUs: 10 is before failFromUs (50)'],
    ];
    for (const [params, message] of bad) {
      expect(() => resolveParams(scenario, params), JSON.stringify(params)).toThrow(new InputError(message));
    }
  });

  it('M16: faulty-device: neither traps and touches per access, faking and diversion once per faulty resource (seed 1)', () => {
    const neither = run(0);
    const faking = run(1);
    const diversion = run(2);
    for (const r of [neither, faking, diversion]) expect(r.o.result.violation, `reproduce: ${r.how}`).toBeNull();
    const [n, f, d] = [neither.m, faking.m, diversion.m];
    expect([n.error, n.real, n.faked], neither.how).toEqual([100, 100, 0]);
    expect(n.trapsPerFaulty, neither.how).toBeGreaterThan(20);
    expect(n.faultyTouches, neither.how).toBe(n.traps);
    expect([f.faked, f.real, f.error, f.trapsPerFaulty, f.touchesPerFaulty], faking.how).toEqual([100, 100, 0, 1, 1]);
    expect([d.real, d.error, d.trapsPerFaulty, d.touchesPerFaulty, d.spareTouches], diversion.how).toEqual([
      200, 0, 1, 1, 100,
    ]);
  });

  it('M16: faulty-device: a lossy, late link and device-host crashes are survived (seed 3)', () => {
    const harsh = { dropRate: '0.1', delayRate: '0.1', devFromUs: '100', devToUs: '2000', devStepUs: '10' };
    for (const mode of [0, 1, 2]) {
      const r = run(mode, harsh, 3);
      expect(r.o.result.violation, `reproduce: ${r.how}`).toBeNull();
      expect(r.m.gaveUp, r.how).toBe(0);
      expect(r.m.retransmits, r.how).toBeGreaterThan(0);
    }
  });

  it('M15: faulty-device: the faking check holds exhaustively and every planted bug is caught', () => {
    const faking = runCheck({ scenario, mode: 'bfs', now: () => 0, config: 'faking-late' }).result;
    expect([faking.verdict, faking.exhausted, faking.states]).toEqual(['holds', true, 632]);
    for (const m of faultyMutants) {
      const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: m.config ?? '', mutant: m.name }).result;
      const how = `npx statevisor check faulty-device --config ${m.config} --mutant ${m.name}`;
      expect(r.counterexample?.violation.spec, how).toBe(m.expectedSpec);
    }
  });
});
