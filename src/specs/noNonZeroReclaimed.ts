// No page with non-zero content is ever reclaimed (M10): every guest frame a memory manager hands back to the pool
// holds only zeros, judged from the plan's initial contents and the guest writes the manager reported as applied.

import type { BalloonPlan } from '../../actors/balloon.js';
import { firstNonZero } from '../../dataplane/balloon.js';
import { bootModel, expectedPage, followPages, isWritten, type PageModel, vmOfMemory } from './balloonObservations.js';
import { fail, type Monitor, payload } from './spec.js';

interface Release {
  readonly gfns: readonly number[];
}

export function noNonZeroReclaimed(plan: BalloonPlan): Monitor<PageModel> {
  return {
    name: 'no-nonzero-reclaimed',
    specId: 'M10',
    description: 'No guest page with a non-zero byte is ever reclaimed by a sweep.',
    observesText: 'the guest writes each memory manager applied (its replies); the frames it releases to the pool',
    observes: { send: ['bguest.written', 'pool.release'], faults: true },
    initial: () => bootModel(plan),
    on(model, obs) {
      const followed = followPages(plan, model, obs);
      if (followed !== null || obs.kind !== 'send') return followed ?? model;
      const vm = vmOfMemory(plan, obs.from);
      for (const gfn of payload<Release>(obs.event).gfns) {
        const at = firstNonZero(expectedPage(plan, model, vm, gfn));
        if (at >= 0) {
          const byte = expectedPage(plan, model, vm, gfn)[at] as number;
          const by = isWritten(model, vm, gfn) ? 'written by the guest' : 'from boot';
          return fail(`${obs.from} reclaimed guest page ${gfn} whose byte ${at} is 0x${byte.toString(16)} (${by})`);
        }
      }
      return model;
    },
  };
}
