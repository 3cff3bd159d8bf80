// Output commit (SPEC.md M1): no packet of epoch e reaches the wire before the backup acknowledged checkpoint e.
// The NIC records the highest epoch tag it ever put on the wire; the replica records the last epoch it acked.

import { HOSTS, nicOf, replicaOf } from './haView.js';
import type { Spec } from './spec.js';

export function outputCommit(): Spec {
  return {
    name: 'output-commit',
    specId: 'M1',
    description: 'No packet of epoch e reaches the wire before the backup has acknowledged checkpoint e.',
    kind: 'always',
    check(kernel, state) {
      const acked = replicaOf(kernel, state).ctx.ackedEpoch;
      for (const host of HOSTS) {
        const released = nicOf(kernel, state, host).ctx.maxReleasedEpoch;
        if (released > acked) {
          return `${host}/nic put a packet of epoch ${released} on the wire, but the backup has acked only up to epoch ${acked}`;
        }
      }
      return null;
    },
  };
}
