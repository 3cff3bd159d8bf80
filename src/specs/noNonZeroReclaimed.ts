// No page with non-zero content is ever reclaimed (M10): every guest frame a memory manager hands back to the pool
// holds only zeros, judged from the plan's initial contents and the guest writes the manager reported as applied.

import type { BalloonPlan } from '../../actors/balloon.js';
import { firstNonZero } from '../../dataplane/balloon.js';
import { applyWritten, bootModel, expectedPage, isWritten, type PageModel, vmOfMemory } from './balloonObservations.js';
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
      // Memory does not survive a crash of its host: every VM boots again with its planned contents.
      if (obs.kind === 'fault')
        return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? bootModel(plan) : model;
      if (obs.kind !== 'send') return model;
      if (obs.event.type === 'bguest.written') return applyWritten(plan, model, obs.from, obs.event);
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
