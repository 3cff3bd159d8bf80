// ha-failover end to end: the primary crashes at a chooser-drawn instant; over 500 seeds every spec holds,
// the backup is promoted, and the outside world sees every committed output exactly once.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

interface Failover {
  primaryCrashAtUs: number | null;
  promotedAtUs: number | null;
  failoverUs: number | null;
}

describe('ha-failover scenario', () => {
  it('HA: ha-failover: every spec holds and the backup takes over (500 seeds)', () => {
    const metrics = expectSpecsHold('ha-failover', 500);
    let promoted = 0;
    let withDuplicates = 0;
    for (const m of metrics) {
      const f = m.failover as Failover;
      expect(f.primaryCrashAtUs).not.toBeNull();
      if (f.promotedAtUs !== null) promoted++;
      if ((m.packets as { wireDuplicates: number }).wireDuplicates > 0) withDuplicates++;
      // Detection needs the heartbeat timeout, confirmation and the old lease to lapse: bounded by their sum.
      if (f.failoverUs !== null) expect(f.failoverUs).toBeLessThan(5_000 + 3_000 + 8_000 + 500 + 3_000 + 2_000);
    }
    // Every crash lies in [10 ms, 60 ms] and the horizon is 120 ms: the backup must always take over.
    expect(promoted).toBe(500);
    // Re-sent committed outputs show up as wire duplicates in some runs: the receiver's dedup is exercised.
    expect(withDuplicates).toBeGreaterThan(0);
  });

  it('HA: ha-failover: specs hold with a lossy link and a mixed VM set (150 seeds)', () => {
    expectSpecsHold('ha-failover', 150, { dropRate: '0.3', duplicateRate: '0.1', vms: '3', plainVms: '1' });
  });
});
