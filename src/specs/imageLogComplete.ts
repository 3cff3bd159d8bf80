// Image log complete (M2): every line the backed-up VM wrote in an epoch reaches the cache's image log before that
// epoch's capture, whether it was evicted on the way (logged then) or still cached (logged at the checkpoint).

import type { MemPlan } from '../../actors/memory.js';
import { hex, imageLogMonitor, type LineSet } from './memObservations.js';
import type { Monitor } from './spec.js';

export function imageLogComplete(plan: MemPlan, lineBytes: number): Monitor<LineSet> {
  const meta = {
    name: 'image-log-complete',
    specId: 'M2',
    description: "Every line the VM wrote since the last checkpoint is in the image log the checkpoint's capture gets.",
  };
  return imageLogMonitor(plan, lineBytes, meta, (written, epoch, lines) => {
    const logged = new Set(lines);
    const missing = written.find((line) => !logged.has(line));
    return missing === undefined
      ? null
      : `the VM wrote line ${hex(missing)} in epoch ${epoch}, but the image log captured for it lacks the line`;
  });
}
