// Bounded release (SPEC.md M1, liveness): once faults have stopped, no buffered packet waits more than N epochs.
// Checked when a run ends (P-style: the monitor must not be left hot), because during a partition waiting is correct.

import { addr, PRIMARY } from '../../actors/ha.js';
import { nicOf } from './haView.js';
import type { Spec } from './spec.js';

export function releaseLiveness(maxEpochs: number): Spec {
  return {
    name: 'release-liveness',
    specId: 'M1',
    description: `With faults stopped, every buffered packet is released within ${maxEpochs} epochs of the one it was produced in.`,
    kind: 'eventually',
    check(kernel, state) {
      if (kernel.isDown(state, PRIMARY)) return null;
      const epoch = (kernel.snapshotOf(state, addr.coordinator).context as { epoch: number }).epoch;
      let oldest: { vm: number; seq: number; epoch: number } | undefined;
      for (const p of nicOf(kernel, state, PRIMARY).ctx.buffered)
        if (oldest === undefined || p.epoch < oldest.epoch) oldest = p;
      if (oldest !== undefined && oldest.epoch < epoch - maxEpochs) {
        return `hostA/nic still buffers VM ${oldest.vm}'s packet #${oldest.seq} of epoch ${oldest.epoch} at epoch ${epoch} (bound ${maxEpochs} epochs)`;
      }
      return null;
    },
  };
}
