// ha-failover end to end: a host crashes at a chooser-drawn instant. When it is the primary, the backup fences,
// promotes and resumes from its last acked checkpoint; when it is the backup or the witness, the system converges.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

interface Failover {
  primaryCrashAtUs: number | null;
  promotedAtUs: number | null;
  failoverUs: number | null;
}

describe('ha-failover scenario', () => {
  it('HA: ha-failover: the primary crashes, every spec holds and the backup takes over (25 seeds)', () => {
    const metrics = expectSpecsHold('ha-failover', 25);
    let withRepeats = 0;
    for (const m of metrics) {
      const f = m.failover as Failover;
      expect(f.primaryCrashAtUs).not.toBeNull();
      expect(f.promotedAtUs).not.toBeNull();
      // Detection needs the heartbeat timeout, confirmation and the old lease to lapse: bounded by their sum.
      expect(f.failoverUs as number).toBeLessThan(5_000 + 3_000 + 8_000 + 100 + 2 * 3_000 + 1_000);
      if (
        (m.packets as { wirePackets: number; delivered: number }).wirePackets >
        (m.packets as { delivered: number }).delivered
      )
        withRepeats++;
    }
    // Re-sent committed output reaches the world twice in some runs: the receiver's dedup is exercised.
    expect(withRepeats).toBeGreaterThan(0);
  });

  it('HA: ha-failover: the backup or the witness crashes and restarts; the primary keeps running (20 seeds)', () => {
    const metrics = expectSpecsHold('ha-failover', 20, {
      crashPrimary: 'false',
      crashBackup: 'true',
      crashWitness: 'true',
      restartAfterUs: '15000',
    });
    for (const m of metrics) expect((m.failover as Failover).promotedAtUs).toBeNull();
    // A backup that restarts is re-seeded with a full checkpoint in some of the runs.
    expect(metrics.some((m) => (m.epochs as { full: number }).full > 0)).toBe(true);
  });

  it('HA: ha-failover: the backup crashes for good; the primary runs unprotected and its output still flows (10 seeds)', () => {
    const metrics = expectSpecsHold('ha-failover', 10, { crashPrimary: 'false', crashBackup: 'true' });
    for (const m of metrics) {
      expect(m.degradations).toBe(1);
      expect((m.roles as { protection: string }).protection).toBe('unprotected');
    }
  });
});
