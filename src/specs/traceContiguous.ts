// Trace replay is faithful (M2's workload input): the slices the vCPU hands the caches cover its trace in order,
// each entry once: no entry skipped, none repeated. Judged from the slices sent, against the monitor's own count.

import type { Monitor } from './spec.js';
import { fail, payload } from './spec.js';

export interface TracePlan {
  readonly host: string;
  readonly cpu: string;
  readonly caches: string;
  /** Entries in the trace. */
  readonly entries: number;
}

export function traceContiguous(plan: TracePlan): Monitor<number> {
  return {
    name: 'trace-contiguous',
    specId: 'M2',
    description: 'The vCPU replays its trace in order: each slice starts where the last one ended.',
    observesText: 'the slices the vCPU sends to the cache hierarchy',
    observes: { send: ['hier.run'], faults: true },
    initial: () => 0,
    on(next, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.host ? 0 : next;
      if (obs.kind !== 'send' || obs.from !== plan.cpu) return next;
      const { from, kinds } = payload<{ from: number; kinds: ArrayLike<number> }>(obs.event);
      if (from !== next) return fail(`${plan.cpu} sent a slice from entry ${from}; the trace so far ends at ${next}`);
      return from + kinds.length;
    },
  };
}
