// Ponger never ahead (kernel demo, no SPEC.md id): the ponger never sees a ping the pinger has not sent.
// A message the kernel invented, or delivered from a future send, would break it.

import type { PingerContext } from '../../machines/pingerMachine.js';
import type { PongerContext } from '../../machines/pongerMachine.js';
import type { Spec } from './spec.js';

export function pongerNeverAhead(pinger: string, ponger: string): Spec {
  return {
    name: 'ponger-never-ahead',
    specId: 'kernel',
    description: "The highest ping sequence number the ponger has seen never exceeds the pinger's current one.",
    kind: 'always',
    check(kernel, state) {
      const seen = (kernel.snapshotOf(state, ponger).context as PongerContext).highestSeq;
      const sent = (kernel.snapshotOf(state, pinger).context as PingerContext).seq;
      return seen > sent ? `${ponger} saw ping #${seen} but ${pinger} has only reached #${sent}` : null;
    },
  };
}
