// Replica fidelity (SPEC.md M1, M3): after every ack, the backup's image of each VM equals the primary's image
// at that epoch's capture — compared through the digest the primary's MMU computed over the whole image.

import { replicaOf } from './haView.js';
import type { Spec } from './spec.js';

export function replicaFidelity(): Spec {
  return {
    name: 'replica-fidelity',
    specId: 'M1',
    description:
      "After every acknowledged checkpoint, the backup's image of each VM equals the primary's image at capture.",
    kind: 'always',
    check(kernel, state) {
      const { ctx } = replicaOf(kernel, state);
      for (const [vm, image] of Object.entries(ctx.acked)) {
        if (image.digest !== image.expectedDigest) {
          return `hostB/replica: VM ${vm}'s image after epoch ${ctx.ackedEpoch} has digest ${image.digest}, the primary captured ${image.expectedDigest}`;
        }
      }
      return null;
    },
  };
}
