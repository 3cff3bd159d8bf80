// The balloon-sweep scenario end to end (M10): bad parameters are one line naming the field; a sweep under both
// super-page policies and several zero shares keeps every spec; crashes of either host still end in a report.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('balloon-sweep');
/** Small pages, same shape as the defaults: 8 super pages of 16 pages of 64 bytes, 200 guest accesses. */
const SMALL = { pageBytes: '64', pagesPerSuper: '16', supers: '8', targetPages: '128', ops: '200' };

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const o = simulate({ scenario, seed, params: { ...SMALL, ...params } });
  const flags = Object.entries({ ...SMALL, ...params })
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  const how = `reproduce: npx statevisor run balloon-sweep --seed ${seed} ${flags}`;
  expect(o.result.violation, how).toBeNull();
  return { o, m: o.summary.metrics as Record<string, number | string>, how };
}

describe('balloon-sweep scenario', () => {
  it('Balloon: balloon-sweep: bad parameters are one line naming the field', () => {
    expect(() => resolveParams(scenario, { supers: '2', pagesPerSuper: '512', targetPages: '1025' })).toThrow(
      new InputError("targetPages: 1025 exceeds the VM's 1024 pages"),
    );
    expect(() => resolveParams(scenario, { zeroPercent: '-5' })).toThrow(
      new InputError('zeroPercent: -5 is out of range; expected an integer in [0, 100]'),
    );
    expect(() => resolveParams(scenario, { zeroPercent: '101' })).toThrow(
      new InputError('zeroPercent: 101 is out of range; expected an integer in [0, 100]'),
    );
    expect(() => resolveParams(scenario, { supers: '2', targetPages: '0', unbackedSupers: '3' })).toThrow(
      new InputError("unbackedSupers: 3 exceeds the VM's 2 super pages"),
    );
    expect(() => resolveParams(scenario, { vms: '64', supers: '64' })).toThrow(
      new InputError('vms/supers/pagesPerSuper/pageBytes: 8589934592 bytes of guest memory; at most 268435456'),
    );
  });

  it('Balloon: balloon-sweep: split takes whole zero super pages and the zero pages of the rest; keep only the former (seed 1)', () => {
    const { o, m: split } = run({ superPolicy: '0' });
    expect(o.result.reason).toBe('quiescent');
    expect([split.answered, split.guestOps]).toEqual([1, 200]);
    expect([split.superPages, split.regularPages, split.splitSupers, split.keptSupers]).toEqual([1, 43, 7, 0]);
    const keep = run({ superPolicy: '1' }).m;
    expect([keep.superPages, keep.regularPages, keep.splitSupers, keep.keptSupers]).toEqual([1, 0, 0, 7]);
    expect(keep.demandZero as number).toBeLessThan(split.demandZero as number);
  });

  it('Balloon: balloon-sweep: more zero pages, more reclaimed, (zero share 10/50/90 %, seed 1)', () => {
    const reclaimed = ['10', '50', '90'].map((z) => run({ zeroPercent: z }).m.reclaimedPages as number);
    expect(reclaimed[0]).toBeLessThan(reclaimed[1] as number);
    expect(reclaimed[1]).toBeLessThan(reclaimed[2] as number);
  });

  it('Balloon: balloon-sweep: the race check configuration holds on random schedules with loss and late messages (seeds 1-20)', () => {
    const race = scenario.checks?.find((c) => c.name === 'race')?.params ?? {};
    for (let seed = 1; seed <= 20; seed++) {
      const o = simulate({ scenario, seed, params: { ...race, dropRate: '0.3', delayRate: '0.3' }, untilUs: 1_000 });
      expect(o.result.violation, `reproduce: npx statevisor run balloon-sweep --seed ${seed} (race config)`).toBeNull();
    }
  });

  it('Balloon: balloon-sweep: checkpoints of the ballooned VM name reclaimed pages instead of sending them (seed 1)', () => {
    const { m, how } = run({ checkpoints: '4', checkpointEveryUs: '200' });
    expect(m.checkpoints, how).toBe(4);
    // 8 × 16 pages of 64 B is 8 KiB a checkpoint in full; the ones after the sweep send only the backed pages.
    expect(m.checkpointBytes as number, how).toBeLessThan(4 * 8 * 16 * 64);
  });

  it('Balloon: balloon-sweep: a crash of the VM host mid-sweep and of the management host still ends in a report', () => {
    for (let seed = 1; seed <= 2; seed++) {
      const { o, m, how } = run(
        {
          ...{ hostCrashFromUs: '60', hostCrashToUs: '120', hostCrashRestartUs: '20' },
          ...{ mgmtCrashFromUs: '10', mgmtCrashToUs: '400', mgmtCrashRestartUs: '30', retransmitUs: '200' },
        },
        seed,
      );
      expect(o.result.faults.map((f) => f.fault.kind).sort(), how).toEqual(['crash', 'crash', 'restart', 'restart']);
      expect(m.answered, how).toBe(1);
    }
  });
});
