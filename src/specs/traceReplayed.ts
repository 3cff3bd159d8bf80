// Trace replay completes (M2's workload input): every entry of the trace has been simulated by the caches by a
// deadline in virtual time. A vCPU that stops early, or a slice never answered, is a violation.

import type { Monitor } from './spec.js';
import { payload } from './spec.js';
import type { TracePlan } from './traceContiguous.js';

export function traceReplayed(plan: TracePlan, byUs: number): Monitor<number> {
  return {
    name: 'trace-replayed',
    specId: 'M2',
    description: `All ${plan.entries} trace entries are simulated by the caches within ${byUs} µs.`,
    observesText: 'the slices the cache hierarchy reports done to the vCPU',
    observes: { deliver: ['traceCpu.ran'], faults: true },
    initial: () => 0,
    on(done, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? 0 : done;
      if (obs.kind !== 'deliver' || obs.to !== plan.cpu) return done;
      return done + payload<{ accesses: number }>(obs.event).accesses;
    },
    deadline: (done) =>
      done < plan.entries ? { atUs: byUs, what: `entry ${done + 1} of ${plan.entries} simulated` } : null,
  };
}
