// Memory fidelity under ballooning (M10): every read a memory manager answers returns what the guest last wrote
// to that page, its planned initial bytes if never written, and zeros for a reclaimed page the guest never rewrote.

import type { BalloonPlan } from '../../actors/balloon.js';
import { samePage } from '../../dataplane/balloon.js';
import { bootModel, expectedPage, followPages, type PageModel, vmOfMemory } from './balloonObservations.js';
import { fail, type Monitor, payload } from './spec.js';

interface ReadDone {
  readonly gfn: number;
  readonly bytes: Uint8Array;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return i;
  return -1;
}

export function memoryFidelity(plan: BalloonPlan): Monitor<PageModel> {
  return {
    name: 'memory-fidelity',
    specId: 'M10',
    description: 'Every guest read returns the bytes last written to the page (zeros for a reclaimed page).',
    observesText: 'the guest writes each memory manager applied (its replies); the pages its reads returned',
    observes: { send: ['bguest.written', 'bguest.readDone'], faults: true },
    initial: () => bootModel(plan),
    on(model, obs) {
      const followed = followPages(plan, model, obs);
      if (followed !== null || obs.kind !== 'send') return followed ?? model;
      const vm = vmOfMemory(plan, obs.from);
      const { gfn, bytes } = payload<ReadDone>(obs.event);
      const want = expectedPage(plan, model, vm, gfn);
      if (samePage(want, bytes)) return model;
      const at = firstDifference(want, bytes);
      return fail(
        `${obs.from} returned byte ${at} of guest page ${gfn} as ${bytes[at] ?? 0}; the guest last left ${want[at] ?? 0} there`,
      );
    },
  };
}
