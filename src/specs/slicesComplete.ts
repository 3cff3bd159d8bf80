// Memory progress (M7): the guest completes every slice it was given by a deadline in virtual time. A store held
// for an invalidation the TLB never acknowledges, or a walk never answered, stalls the vCPU: a violation.

import type { MemPlan } from '../../actors/memory.js';
import type { Monitor } from './spec.js';

export function slicesComplete(plan: MemPlan, slices: number, byUs: number): Monitor<number> {
  return {
    name: 'slices-complete',
    specId: 'M7',
    description: `The guest completes all ${slices} slices within ${byUs} µs of virtual time.`,
    observesText: 'the completed slices the MMU hands back to the guest vCPU',
    observes: { deliver: ['guest.ran'], faults: true },
    initial: () => 0,
    on(done, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? 0 : done;
      return obs.kind === 'deliver' && obs.to === plan.guest ? done + 1 : done;
    },
    deadline: (done) => (done < slices ? { atUs: byUs, what: `slice ${done + 1} of ${slices} completed` } : null),
  };
}
