// Replica fidelity for every checkpoint variant (M2, M3): whenever the backup commits epoch e, its image of the VM
// equals the primary's guest-physical image at the capture of e. Judged from the memory itself on both sides.

import type { MemPlan } from '../../actors/memory.js';
import { guestImage, imageDigest } from '../../dataplane/capture.js';
import { fail, type Monitor, payload } from './spec.js';

/** String(epoch) → digest of the primary's image when the MMU took that epoch's capture request. */
type Captured = Readonly<Record<string, number>>;

export function memReplicaFidelity(plan: MemPlan): Monitor<Captured> {
  return {
    name: 'mem-replica-fidelity',
    specId: 'M2',
    description:
      "After every committed checkpoint, the backup's image equals the primary's image at that epoch's capture.",
    observesText: "the primary's memory at each capture request; the backup's image when it commits",
    observes: { deliver: ['nmmu.capture'], send: ['ckpt.committed'] },
    initial: () => ({}),
    on(captured, obs, view) {
      if (obs.kind === 'deliver' && obs.to === plan.mmu) {
        const { epoch } = payload<{ epoch: number }>(obs.event);
        const mem = (view.snapshot(plan.mmu).context as { mem: Uint32Array }).mem;
        return { ...captured, [String(epoch)]: imageDigest(guestImage(mem, plan.hostFrameOf)) };
      }
      if (obs.kind !== 'send' || obs.from !== plan.collector) return captured;
      const { epoch } = payload<{ epoch: number }>(obs.event);
      const want = captured[String(epoch)];
      if (want === undefined)
        return fail(`${plan.collector} committed epoch ${epoch}, which the primary never captured`);
      const image = (view.snapshot(plan.collector).context as { image: Uint32Array }).image;
      if (imageDigest(image) !== want) {
        return fail(`${plan.collector}: the image after epoch ${epoch} differs from the primary's at its capture`);
      }
      // Older captures can no longer commit: keep the record small.
      return Object.fromEntries(Object.entries(captured).filter(([e]) => Number(e) >= epoch));
    },
  };
}
