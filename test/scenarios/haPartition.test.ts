// ha-partition end to end: a link is cut for 40 ms. Cut from the backup, the primary keeps its lease, runs
// unprotected and re-seeds the backup after the heal; cut from the witness, it fences itself. Never two primaries.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

describe('ha-partition scenario', () => {
  it('HA: ha-partition: primary–backup cut: no promotion; degraded mode then a re-seed when the cut outlasts the retries (25 seeds)', () => {
    const metrics = expectSpecsHold('ha-partition', 25);
    let degraded = 0;
    for (const m of metrics) {
      const roles = m.roles as { replica: unknown; backupNic: unknown; protection: string };
      expect(roles.replica).not.toBe('primary');
      expect(roles.backupNic).toBe('standby');
      expect(m.retransmits as number).toBeGreaterThan(0);
      // Whether the primary gave up before the heal or not, it protects again by the end.
      expect(roles.protection).toBe('protected');
      if ((m.degradations as number) > 0) {
        degraded++;
        expect((m.epochs as { full: number }).full).toBeGreaterThanOrEqual(1);
      }
    }
    // Giving up takes about 30 ms of silence here (timeouts count each checkpoint's transfer time): a 40 ms cut
    // outlasts it in every run.
    expect(degraded).toBe(25);
  });

  it('HA: ha-partition: primary–witness cut: the primary fences itself and resumes after the heal (15 seeds)', () => {
    const metrics = expectSpecsHold('ha-partition', 15, { cutPrimaryBackup: 'false', cutPrimaryWitness: 'true' });
    for (const m of metrics) {
      expect((m.roles as { replica: unknown }).replica).not.toBe('primary');
      expect((m.packets as { delivered: number }).delivered).toBeGreaterThan(150);
    }
  });
});
