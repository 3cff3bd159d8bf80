// The mem-checkpoint scenario end to end: each checkpoint variant keeps the backup's image equal to the primary's
// under loss and a backup crash, and the variants differ in what an incremental checkpoint costs (M2, M3).

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('mem-checkpoint');
/** Shorter than the defaults (400 slices), same shape: 4 processes of 24 pages, 5% writes, an epoch every 100 µs. */
const SHORT = { slices: '150' };

function run(variant: number, extra: Readonly<Record<string, string>> = {}, seed = 1) {
  const params = { ...SHORT, variant: String(variant), ...extra };
  const o = simulate({ scenario, seed, params });
  const flags = Object.entries(params)
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  return {
    o,
    m: o.summary.metrics as Record<string, number | string>,
    how: `npx statevisor run mem-checkpoint --seed ${seed} ${flags}`,
  };
}

describe('mem-checkpoint scenario', () => {
  it('Memory: mem-checkpoint: every variant commits every epoch with a faithful backup image (seed 1)', () => {
    for (const variant of [0, 1, 2]) {
      const { o, m, how } = run(variant);
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect(o.result.reason).toBe('quiescent');
      expect([m.variant, m.fullCheckpoints]).toEqual([['page', 'm3', 'm2'][variant], 1]);
      expect(m.checkpoints as number).toBeGreaterThan(5);
    }
  });

  it('Memory: mem-checkpoint: an incremental checkpoint costs least as M3 diffs, then M2 lines, then whole pages (seed 1)', () => {
    const [page, m3, m2] = [0, 1, 2].map((v) => run(v).m.bytesPerIncremental as number);
    expect([page, m3, m2]).toEqual([415325, 18620, 122292]);
  });

  it('Memory: mem-checkpoint: a cache geometry it cannot build is one line naming the three parameters', () => {
    expect(() => resolveParams(scenario, { cacheBytes: '24576' })).toThrow(
      new InputError('cacheBytes/cacheAssoc/lineBytes: Cache set count is not a power of two.'),
    );
  });

  it('Memory: mem-checkpoint: M3 pre-copies cold pages while the guest runs, shortening the stun (seed 1)', () => {
    const m3 = run(1).m;
    const noPrecopy = run(1, { precopyUs: '0' }).m;
    expect(m3.precopyBytes as number).toBeGreaterThan(0);
    expect(noPrecopy.precopyBytes).toBe(0);
    expect(m3.stunBytes as number).toBeLessThan(noPrecopy.stunBytes as number);
  });

  it('Memory: mem-checkpoint: loss and late messages are retransmitted through, every variant (seeds 1-2)', () => {
    const lossy = { dropRate: '0.1', delayRate: '0.1', retransmitUs: '100' };
    for (let seed = 1; seed <= 2; seed++) {
      for (const variant of [0, 1, 2]) {
        const { o, m, how } = run(variant, lossy, seed);
        expect(o.result.violation, `reproduce: ${how}`).toBeNull();
        expect(m.retransmits as number, how).toBeGreaterThan(0);
      }
    }
  });

  it('Memory: mem-checkpoint: a backup that restarts empty makes the epoch in flight be given up and re-seeded in full (seeds 1-4)', () => {
    const crash = { backupFromUs: '500', backupToUs: '1500', backupStepUs: '50', backupRestartUs: '100' };
    for (let seed = 1; seed <= 4; seed++) {
      const { o, m, how } = run(1, crash, seed);
      expect(o.result.violation, `reproduce: ${how}`).toBeNull();
      expect(o.result.faults.map((f) => f.fault.kind)).toEqual(['crash', 'restart']);
      // The backup's hello abandons the epoch whose parts it lost; the next capture is full, then diffs resume.
      // Two full checkpoints commit unless the crash hit the seeding epoch itself (then its re-seed is the first).
      expect(m.abandoned, how).toBe(1);
      expect([1, 2], how).toContain(m.fullCheckpoints);
      expect(m.checkpoints as number, how).toBeGreaterThan(3);
    }
  });
});
