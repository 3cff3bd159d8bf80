// ha-steady end to end: every spec holds over 500 seeds, and checkpoints really are committed and released.
// Seeds vary the inter-host latency draws and every tie between simultaneous deliveries.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

describe('ha-steady scenario', () => {
  it('HA: ha-steady: every spec holds (500 seeds)', () => {
    const metrics = expectSpecsHold('ha-steady', 500);
    for (const m of metrics) {
      const epochs = m.epochs as { committed: number };
      const packets = m.packets as { delivered: number };
      expect(epochs.committed).toBeGreaterThanOrEqual(15);
      expect(packets.delivered).toBeGreaterThan(150);
    }
  });

  it('HA: ha-steady: specs hold with a lossy, duplicating inter-host link (100 seeds)', () => {
    const metrics = expectSpecsHold('ha-steady', 100, { dropRate: '0.2', duplicateRate: '0.2' });
    expect(metrics.some((m) => (m.retransmits as number) > 0)).toBe(true);
  });
});
