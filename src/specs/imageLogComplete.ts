// Image log complete (M2): every line the backed-up VM wrote in an epoch reaches the cache's image log before that
// epoch's capture, whether it was evicted on the way (logged then) or still cached (logged at the checkpoint).

import type { MemPlan } from '../../actors/memory.js';
import { addGuestWrites, hex, type LineSet, loggedLines, NO_LINES } from './memObservations.js';
import { fail, type Monitor } from './spec.js';

export function imageLogComplete(plan: MemPlan, lineBytes: number): Monitor<LineSet> {
  return {
    name: 'image-log-complete',
    specId: 'M2',
    description: "Every line the VM wrote since the last checkpoint is in the image log the checkpoint's capture gets.",
    observesText: 'the slices the cache received (guest writes); the logs the MMU received with each capture request',
    observes: { deliver: ['cache.access', 'nmmu.capture'] },
    initial: () => NO_LINES,
    on(written, obs) {
      if (obs.kind !== 'deliver') return written;
      if (obs.to === plan.cache) return addGuestWrites(written, obs.event, lineBytes);
      if (obs.to !== plan.mmu) return written;
      const { epoch, lines } = loggedLines(obs.event);
      const logged = new Set(lines);
      const missing = written.find((line) => !logged.has(line));
      if (missing !== undefined) {
        return fail(
          `the VM wrote line ${hex(missing)} in epoch ${epoch}, but the image log captured for it lacks the line`,
        );
      }
      return NO_LINES;
    },
  };
}
