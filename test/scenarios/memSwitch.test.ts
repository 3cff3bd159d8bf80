// The mem-switch scenario end to end: the three TLB designs run the same workload, stay coherent, and differ in
// the misses a context switch costs (M8's metric); a crash of the host mid-run is survived and rebuilt.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('mem-switch');
/** A shorter run than the defaults (400 slices), same shape: 4 processes of 24 pages, a page move every 5 slices. */
const SHORT = { slices: '120', accessesPerSlice: '500' };

function run(tlbMode: number, extra: Readonly<Record<string, string>> = {}, seed = 1) {
  const o = simulate({ scenario, seed, params: { ...SHORT, tlbMode: String(tlbMode), ...extra } });
  return { o, m: o.summary.metrics as Record<string, number | string> };
}

describe('mem-switch scenario', () => {
  it('Memory: mem-switch: sizes past its limits are one line naming the parameters, before anything is allocated', () => {
    expect(() => resolveParams(scenario, { processes: '256', pagesPerProcess: '1024' })).toThrow(
      new InputError('processes/pagesPerProcess/spareFrames: 262660 guest frames; at most 16384'),
    );
    expect(() => resolveParams(scenario, { tlbSets: '4096', tlbWays: '64', groups: '64' })).toThrow(
      new InputError('tlbSets/tlbWays/groups: 16777216 TLB entries; at most 1048576'),
    );
    expect(() => resolveParams(scenario, { tlbSets: '3' })).toThrow(
      new InputError('tlbSets: expected a power of two, got 3'),
    );
  });

  it('Memory: mem-switch: every TLB design completes the same workload coherently (seed 1)', () => {
    const runs = [0, 1, 2].map((mode) => run(mode));
    for (const { o } of runs) {
      expect(o.result.violation, 'reproduce: npx statevisor run mem-switch --set slices=120').toBeNull();
      expect(o.result.reason).toBe('quiescent');
    }
    // One workload: the guest's draws do not depend on the TLB, so every design sees every access.
    const lookups = runs.map(({ m }) => (m.hits as number) + (m.misses as number));
    expect(lookups).toEqual([60_000, 60_000, 60_000]);
    expect(runs.map(({ m }) => m.mode)).toEqual(['flush', 'tagged', 'grouped']);
  });

  it('Memory: mem-switch: misses after a switch fall from flush to tagged to grouped (M8, seed 1)', () => {
    const [flush, tagged, grouped] = [0, 1, 2].map((mode) => run(mode).m.switchMisses as number);
    expect([flush, tagged, grouped]).toEqual([2202, 1014, 93]);
  });

  it('Memory: mem-switch: a grouped TLB with fewer groups than processes reclaims groups and stays coherent', () => {
    const { o, m } = run(2, { groups: '2' });
    expect(o.result.violation).toBeNull();
    expect(m.switchMisses as number).toBeGreaterThan(93);
  });

  it('Memory: mem-switch: a host crash mid-run loses memory and TLB; the guest reboots and finishes (seeds 1-5)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const params = { crashFromUs: '100', crashToUs: '400', crashRestartUs: '50' };
      const { o, m } = run(1, params, seed);
      const flags = '--set crashFromUs=100 --set crashToUs=400 --set crashRestartUs=50 --set tlbMode=1';
      expect(o.result.violation, `reproduce: npx statevisor run mem-switch --seed ${seed} ${flags}`).toBeNull();
      expect(o.result.faults.map((f) => f.fault.kind)).toEqual(['crash', 'restart']);
      expect(m.slices).toBe(120);
    }
  });
});
