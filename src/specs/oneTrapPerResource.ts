// One trap per resource (M16, safety): with diversion, a faulty resource traps to the handler at most once; after
// the handler's remap every later access, late answers included, is diverted without trapping. From the wire.

import type { FaultyPlan } from '../../actors/faultyDevice.js';
import { fail, type Monitor, payload } from './spec.js';

/** Observes the traps the MMU sends the handler. Vacuous outside diversion mode, where traps may repeat by design. */
export function oneTrapPerResource(plan: FaultyPlan): Monitor<readonly number[]> {
  const none: readonly number[] = Array.from({ length: plan.resources }, () => 0);
  return {
    name: 'one-trap-per-resource',
    specId: 'M16',
    description: 'With diversion, each faulty resource traps to the handler at most once.',
    observesText: 'the traps the MMU sends the fault handler',
    observes: { send: ['handler.trap'] },
    initial: () => none,
    on(traps, obs) {
      if (plan.mode !== 'diversion' || obs.kind !== 'send' || obs.from !== plan.mmu) return traps;
      const { resource, op } = payload<{ resource: number; op: number }>(obs.event);
      if ((traps[resource] ?? 0) >= 1) {
        return fail(`${plan.mmu} trapped again on resource ${resource} (op ${op}) at ${obs.t} µs; it was remapped`);
      }
      return traps.map((n, i) => (i === resource ? n + 1 : n));
    },
  };
}
