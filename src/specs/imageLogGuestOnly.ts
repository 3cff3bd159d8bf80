// Image log holds only the VM's writes (M2): no line reaches the log unless the backed-up VM wrote it since the
// last checkpoint. A hypervisor write in privileged mode must not set the image-modification flag.

import type { MemPlan } from '../../actors/memory.js';
import { addGuestWrites, hasLine, hex, type LineSet, loggedLines, NO_LINES } from './memObservations.js';
import { fail, type Monitor } from './spec.js';

export function imageLogGuestOnly(plan: MemPlan, lineBytes: number): Monitor<LineSet> {
  return {
    name: 'image-log-guest-only',
    specId: 'M2',
    description:
      'Every line in the image log was written by the VM itself since the last checkpoint, never only by the hypervisor.',
    observesText: 'the slices the cache received (guest writes); the logs the MMU received with each capture request',
    observes: { deliver: ['cache.access', 'nmmu.capture'] },
    initial: () => NO_LINES,
    on(written, obs) {
      if (obs.kind !== 'deliver') return written;
      if (obs.to === plan.cache) return addGuestWrites(written, obs.event, lineBytes);
      if (obs.to !== plan.mmu) return written;
      const { epoch, lines } = loggedLines(obs.event);
      const stray = lines.find((line) => !hasLine(written, line));
      if (stray !== undefined) {
        return fail(
          `the image log of epoch ${epoch} names line ${hex(stray)}, which the VM did not write in that epoch`,
        );
      }
      return NO_LINES;
    },
  };
}
