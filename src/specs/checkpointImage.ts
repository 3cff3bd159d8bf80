// Checkpoints of a ballooned VM stay correct (M1 with M10): every checkpoint image holds each backed page with the
// bytes the guest last left in it, names each reclaimed page without sending it, and covers every page once.

import type { BalloonPlan } from '../../actors/balloon.js';
import { samePage } from '../../dataplane/balloon.js';
import { applyWritten, bootModel, expectedPage, type PageModel, vmOfMemory } from './balloonObservations.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  readonly model: PageModel;
  /** Per VM, 1 where the page is reclaimed (no frame backs it): from the releases and grants on the wire. */
  readonly reclaimed: readonly Uint8Array[];
}

interface Image {
  readonly gfns: readonly number[];
  readonly pages: readonly Uint8Array[];
  readonly reclaimed: readonly number[];
}

function boot(plan: BalloonPlan): State {
  const g = plan.geometry;
  const pages = g.supers * g.pagesPerSuper;
  const backed = (g.supers - g.unbackedSupers) * g.pagesPerSuper;
  const reclaimed = plan.vms.map(() => new Uint8Array(pages).fill(1, backed));
  return { model: bootModel(plan), reclaimed };
}

function mark(s: State, vm: number, gfns: readonly number[], to: number): State {
  const one = (s.reclaimed[vm] as Uint8Array).slice();
  for (const g of gfns) one[g] = to;
  return { ...s, reclaimed: s.reclaimed.map((r, i) => (i === vm ? one : r)) };
}

function judge(plan: BalloonPlan, s: State, vm: number, from: string, image: Image): string | null {
  const reclaimed = s.reclaimed[vm] as Uint8Array;
  const seen = new Uint8Array(reclaimed.length);
  for (let i = 0; i < image.gfns.length; i++) {
    const g = image.gfns[i] as number;
    seen[g] = 1;
    if (reclaimed[g] === 1) return `${from} sent reclaimed guest page ${g} in a checkpoint`;
    if (!samePage(expectedPage(plan, s.model, vm, g), image.pages[i] as Uint8Array)) {
      return `${from} checkpointed guest page ${g} with bytes the guest did not leave there`;
    }
  }
  for (const g of image.reclaimed) {
    seen[g] = 1;
    if (reclaimed[g] !== 1) return `${from} marked guest page ${g} reclaimed in a checkpoint, but a frame backs it`;
  }
  const missing = seen.indexOf(0);
  return missing < 0 ? null : `${from} left guest page ${missing} out of a checkpoint`;
}

export function checkpointImage(plan: BalloonPlan): Monitor<State> {
  return {
    name: 'checkpoint-image',
    specId: 'M10',
    description: "Every checkpoint of a ballooned VM equals its memory, and carries no reclaimed page's bytes (M1).",
    observesText: 'applied guest writes, releases to the pool, grants the memory managers took, the images sent',
    observes: { send: ['bguest.written', 'pool.release', 'bbackup.image'], deliver: ['vmm.granted'], faults: true },
    initial: () => boot(plan),
    on(s, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? boot(plan) : s;
      if (obs.kind === 'deliver') {
        // The grant counts once the memory manager has taken it: until then the page is still reclaimed there.
        const vm = vmOfMemory(plan, obs.to);
        return vm < 0 ? s : mark(s, vm, [payload<{ gfn: number }>(obs.event).gfn], 0);
      }
      if (obs.kind !== 'send') return s;
      const vm = vmOfMemory(plan, obs.from);
      if (vm < 0) return s;
      if (obs.event.type === 'bguest.written') return { ...s, model: applyWritten(plan, s.model, obs.from, obs.event) };
      if (obs.event.type === 'pool.release')
        return mark(s, vm, payload<{ gfns: readonly number[] }>(obs.event).gfns, 1);
      const wrong = judge(plan, s, vm, obs.from, payload<Image>(obs.event));
      return wrong === null ? s : fail(wrong);
    },
  };
}
