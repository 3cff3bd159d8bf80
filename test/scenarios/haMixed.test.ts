// ha-mixed end to end: checkpointed and plain VMs share the NIC; specs hold over a sweep of seeds and plain VMs'
// packets are never held for a checkpoint.

import { describe, expect, it } from 'vitest';
import type { LatencyStats } from '../../src/scenarios/haMetrics.js';
import { expectSpecsHold } from './haHelpers.js';

describe('ha-mixed scenario', () => {
  it('HA: ha-mixed: every spec holds and plain output is never held (20 seeds, horizon 100 ms)', () => {
    const metrics = expectSpecsHold('ha-mixed', 20);
    for (const m of metrics) {
      const lat = m.addedLatencyUs as { checkpointed: LatencyStats; plain: LatencyStats };
      expect(lat.plain.count).toBeGreaterThan(0);
      // A plain VM's packet waits only for the NIC, never for an epoch to commit.
      expect(lat.plain.p99Us as number).toBeLessThan(lat.checkpointed.p50Us as number);
    }
  });
});
