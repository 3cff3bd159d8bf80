// Image log holds only the VM's writes (M2): no line reaches the log unless the backed-up VM wrote it since the
// last checkpoint. A hypervisor write in privileged mode must not set the image-modification flag.

import type { MemPlan } from '../../actors/memory.js';
import { hasLine, hex, imageLogMonitor, type LineSet } from './memObservations.js';
import type { Monitor } from './spec.js';

export function imageLogGuestOnly(plan: MemPlan, lineBytes: number): Monitor<LineSet> {
  const meta = {
    name: 'image-log-guest-only',
    specId: 'M2',
    description:
      'Every line in the image log was written by the VM itself since the last checkpoint, never only by the hypervisor.',
  };
  return imageLogMonitor(plan, lineBytes, meta, (written, epoch, lines) => {
    const stray = lines.find((line) => !hasLine(written, line));
    return stray === undefined
      ? null
      : `the image log of epoch ${epoch} names line ${hex(stray)}, which the VM did not write in that epoch`;
  });
}
