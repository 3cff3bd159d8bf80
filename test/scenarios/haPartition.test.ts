// ha-partition end to end: the primary-backup link is cut for 20 ms; the witness lease keeps the backup from
// promoting, output waits in the NIC, and everything is released once the link heals.

import { describe, expect, it } from 'vitest';
import { expectSpecsHold } from './haHelpers.js';

describe('ha-partition scenario', () => {
  it('HA: ha-partition: every spec holds, no split brain, no promotion (500 seeds)', () => {
    const metrics = expectSpecsHold('ha-partition', 500);
    let suspected = 0;
    for (const m of metrics) {
      const roles = m.roles as { replica: unknown; backupNic: unknown };
      expect(roles.replica).not.toBe('primary');
      expect(roles.backupNic).toBe('standby');
      if ((m.retransmits as number) > 0) suspected++;
    }
    // The partition must actually bite: checkpoints time out while it lasts.
    expect(suspected).toBe(500);
  });
});
