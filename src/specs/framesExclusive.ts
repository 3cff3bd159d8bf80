// Host frames are never shared (M10): no host frame backs two guest pages at once. Judged from the wire: the frames
// the plan maps at boot, the frames memory managers release to the pool, and the frames the pool grants.

import type { BalloonPlan } from '../../actors/balloon.js';
import { fail, type Monitor, payload } from './spec.js';

/** 1 where a host frame backs a guest page, by frame number; copied on change (a few KiB). */
type InUse = Uint8Array;

function bootFrames(plan: BalloonPlan): InUse {
  const g = plan.geometry;
  const pages = g.supers * g.pagesPerSuper;
  const backed = (g.supers - g.unbackedSupers) * g.pagesPerSuper;
  const out = new Uint8Array(plan.vms.length * pages + plan.poolFrames);
  for (let vm = 0; vm < plan.vms.length; vm++) out.fill(1, vm * pages, vm * pages + backed);
  return out;
}

export function framesExclusive(plan: BalloonPlan): Monitor<InUse> {
  const boot = bootFrames(plan);
  return {
    name: 'frames-exclusive',
    specId: 'M10',
    description: 'No host frame backs two guest pages at once.',
    observesText: 'the frames memory managers release to the pool; the frames the pool grants',
    observes: { send: ['pool.release', 'vmm.granted'], faults: true },
    initial: () => boot,
    on(inUse, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? boot : inUse;
      if (obs.kind !== 'send') return inUse;
      if (obs.event.type === 'pool.release') {
        const next = inUse.slice();
        for (const f of payload<{ frames: readonly number[] }>(obs.event).frames) next[f] = 0;
        return next;
      }
      const { frame, gfn } = payload<{ frame: number; gfn: number }>(obs.event);
      if (frame < 0 || frame >= inUse.length)
        return fail(`${plan.pool} granted host frame ${frame}, which the host does not have`);
      if (inUse[frame] === 1) {
        return fail(
          `${plan.pool} granted host frame ${frame} for guest page ${gfn} of ${obs.to}; it already backs a page`,
        );
      }
      const next = inUse.slice();
      next[frame] = 1;
      return next;
    },
  };
}
