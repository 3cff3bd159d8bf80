// The latency-hiding scenario end to end (M9): bad parameters are one line, both modes finish the same workload,
// de-scheduling beats blocking by more as the page-in grows longer, faults on the link and hosts are survived.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { InputError } from '../../src/kernel/errors.js';
import { latencyMutants } from '../../src/mutants/latency.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { runScenario } from './runHelpers.js';

const scenario = findScenario('latency-hiding');
/** Fewer units than the defaults (5 000), same shape: 4 processes, a fault on 20% of quanta, 4 read channels. */
const SHORT = { workUnits: '1000' };

function run(mode: number, extra: Readonly<Record<string, string>> = {}, seed = 1) {
  return runScenario<Record<string, number>>(scenario, { ...SHORT, mode: String(mode), ...extra }, seed);
}

describe('latency-hiding scenario', () => {
  it('M9: latency-hiding: bad parameters are one line naming the field', () => {
    const bad: [Record<string, string>, string][] = [
      [{ faultPercent: '101' }, 'faultPercent: 101 is out of range; expected an integer in [0, 100]'],
      [{ faultPercent: '-5' }, 'faultPercent: -5 is out of range; expected an integer in [0, 100]'],
      [{ processes: '0' }, 'processes: 0 is out of range; expected an integer in [1, 64]'],
      [{ processes: '8', runQueueMax: '4' }, 'runQueueMax: 4 is smaller than processes (8); every process must fit'],
      [{ linkMinUs: '50', linkMaxUs: '40' }, 'linkMaxUs: 40 is below linkMinUs (50)'],
      [{ retransmitUs: '100' }, "retransmitUs: 100 is below one page-in's round trip (620 µs)"],
      [{ rescheduleBoundUs: '100' }, 'rescheduleBoundUs: 100 is below the 409 µs a process may wait behind the others'],
      [
        { workUnits: '100000000' },
        'workUnits: 1000000 quanta per process (workUnits / unitsPerQuantum); at most 65536',
      ],
      [{ storageFromUs: '50', storageToUs: '10' }, 'storageToUs: 10 is before storageFromUs (50)'],
    ];
    for (const [params, message] of bad) {
      expect(() => resolveParams(scenario, params), JSON.stringify(params)).toThrow(new InputError(message));
    }
  });

  it('M9: latency-hiding: both modes do the same work with the same faults, de-scheduling sooner (seed 1)', () => {
    const blocking = run(0);
    const deschedule = run(1);
    for (const { o, m, how } of [blocking, deschedule]) {
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect(o.result.reason, how).toBe('quiescent');
      expect([m.unitsDone, m.exits, m.gaveUp], how).toEqual([4000, 4, 0]);
    }
    // The seeded pattern faults on the same quanta whatever the mode does with them.
    expect(blocking.m.faults).toBe(deschedule.m.faults);
    expect(deschedule.m.deschedules).toBe(deschedule.m.faults);
    expect([blocking.m.deschedules, blocking.m.idleUs]).toEqual([0, 0]);
    expect(blocking.m.stalledUs).toBeGreaterThan(0);
    expect(deschedule.m.unitsPerSecond).toBeGreaterThan((blocking.m.unitsPerSecond ?? 0) * 1.5);
  });

  it('M9: latency-hiding: the gain of de-scheduling grows with the page-in latency (seed 1)', () => {
    const gains = ['50', '500', '2000'].map((serviceUs) => {
      const [b, d] = [0, 1].map((mode) => run(mode, { serviceUs }).m.unitsPerSecond as number);
      return (d as number) / (b as number);
    });
    expect(gains[0]).toBeGreaterThan(1);
    expect(gains[1]).toBeGreaterThan(gains[0] as number);
    expect(gains[2]).toBeGreaterThan(gains[1] as number);
  });

  it('M9: latency-hiding: a lossy, late link and a storage crash are survived by retransmission (seeds 1-3)', () => {
    const harsh = {
      dropRate: '0.2',
      delayRate: '0.2',
      retransmitUs: '2000',
      storageFromUs: '1000',
      storageToUs: '5000',
      storageRestartUs: '3000',
    };
    for (let seed = 1; seed <= 3; seed++) {
      const { o, m, how } = run(1, harsh, seed);
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect(
        o.result.faults.map((f) => f.fault.kind),
        how,
      ).toEqual(['crash', 'restart']);
      expect([m.unitsDone, m.gaveUp], how).toEqual([4000, 0]);
      expect(m.retransmits, how).toBeGreaterThan(0);
    }
  });

  it('M9: latency-hiding: a VM host crash reboots the guest, which does all its work again (seed 2)', () => {
    const { o, m, how } = run(1, { vmFromUs: '3000', vmToUs: '3000', vmRestartUs: '100' }, 2);
    expect(o.result.violation, `reproduce: ${how}`).toBeNull();
    expect(
      o.result.faults.map((f) => f.fault.kind),
      how,
    ).toEqual(['crash', 'restart']);
    expect([m.unitsDone, m.exits], how).toEqual([4000, 4]);
  });

  it('Check: latency-hiding lossy: exhausted, and every M9 mutant is killed by its spec', () => {
    const lossy = runCheck({ scenario, mode: 'bfs', now: () => 0, config: 'lossy' }).result;
    expect([lossy.verdict, lossy.exhausted, lossy.states]).toEqual(['holds', true, 480]);
    for (const m of latencyMutants) {
      const r = runCheck({ scenario, mode: 'bfs', now: () => 0, config: m.config ?? 'lossy', mutant: m.name }).result;
      const how = `npx statevisor check latency-hiding --config ${m.config} --mutant ${m.name}`;
      expect(r.counterexample?.violation.spec, how).toBe(m.expectedSpec);
    }
  });
});
