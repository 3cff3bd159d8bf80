// ha-steady end to end: every spec holds over a sweep of seeds, checkpoints are pipelined and committed, output is
// released, and a lossy, duplicating, late link still converges. Large sweeps live in `npm run soak`.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

describe('ha-steady scenario', () => {
  it('HA: ha-steady: every spec holds; epochs keep their 5 ms period and output flows (25 seeds)', () => {
    const metrics = expectSpecsHold('ha-steady', 25);
    for (const m of metrics) {
      const epochs = m.epochs as { committed: number; periodUs: { p50Us: number } };
      expect(epochs.committed).toBeGreaterThanOrEqual(17);
      // Pipelined: the next epoch starts on schedule while the previous checkpoint is in flight (the primary's
      // clock drifts by up to 100 ppm, so "on schedule" is within a microsecond of 5 ms).
      expect(Math.abs(epochs.periodUs.p50Us - 5_000)).toBeLessThanOrEqual(1);
      expect((m.packets as { delivered: number }).delivered).toBeGreaterThan(150);
      expect(m.degradations).toBe(0);
    }
  });

  it('HA: ha-steady: specs hold with loss, duplication and late messages on the inter-host link (15 seeds)', () => {
    const metrics = expectSpecsHold('ha-steady', 15, { dropRate: '0.2', duplicateRate: '0.1', lateRate: '0.1' });
    expect(metrics.some((m) => (m.retransmits as number) > 0)).toBe(true);
  });
});
