// Exactly-once output across failover (M5): the outside world takes each output once and in order — no output
// arrives ahead of one it never got (a gap), and a repeat of a sequence number carries the payload it took first.

import type { LockstepPlan } from '../../actors/lockstep.js';
import type { AgreedOutput } from '../../machines/lockstepEvents.js';
import { fail, type Monitor, payload } from './spec.js';

/** How many accepted outputs the spec remembers for comparing repeats: more than either side ever holds. */
export const REPEAT_MEMORY = 64;

interface State {
  readonly next: number;
  /** The last accepted outputs, oldest first (at most REPEAT_MEMORY). */
  readonly tail: readonly AgreedOutput[];
}

export function lockstepExactlyOnce(plan: LockstepPlan): Monitor<State> {
  return {
    name: 'lockstep-exactly-once',
    specId: 'M5',
    description:
      'The outside world sees each output exactly once and in order across failover: no gap, and no second payload for one sequence number.',
    observesText: 'outputs arriving at the outside world, from the primary or the live secondary',
    observes: { deliver: ['client.output'] },
    initial: () => ({ next: 1, tail: [] }),
    on(s, obs) {
      if (obs.kind !== 'deliver' || obs.to !== plan.client) return s;
      const o = payload<AgreedOutput>(obs.event);
      if (o.seq > s.next) {
        return fail(`output #${o.seq} reached the outside world from ${obs.from} while #${s.next} never had (a gap)`);
      }
      if (o.seq < s.next) {
        const first = s.tail.find((x) => x.seq === o.seq);
        if (first !== undefined && first.payload !== o.payload) {
          return fail(
            `output #${o.seq} reached the outside world twice with different payloads (${first.payload}, then ${o.payload} from ${obs.from})`,
          );
        }
        return s;
      }
      const tail = [...s.tail, { seq: o.seq, payload: o.payload }].slice(-REPEAT_MEMORY);
      return { next: s.next + 1, tail };
    },
  };
}
