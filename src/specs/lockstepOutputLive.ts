// Output liveness (M5): every output the primary logs reaches the outside world within a bound of virtual time,
// whether the secondary agrees, resynchronises first, or one host crashes and the other goes on alone.

import type { LockstepPlan } from '../../actors/lockstep.js';
import type { LockstepSecondaryEvent } from '../../machines/lockstepEvents.js';
import { type Monitor, payload } from './spec.js';

interface State {
  /** Logged outputs not yet seen by the outside world, oldest first, with when the primary first logged them. */
  readonly open: readonly { readonly seq: number; readonly atUs: number }[];
  readonly logged: number;
  readonly seen: number;
}

type Log = Extract<LockstepSecondaryEvent, { type: 'lss.log' }>;

export function lockstepOutputLive(plan: LockstepPlan, withinUs: number): Monitor<State> {
  return {
    name: 'lockstep-output-live',
    specId: 'M5',
    description: `Every output the primary logs reaches the outside world within ${withinUs} µs of virtual time.`,
    observesText: "output records in the primary's log messages; outputs arriving at the outside world",
    observes: { send: ['lss.log'], deliver: ['client.output'] },
    initial: () => ({ open: [], logged: 0, seen: 0 }),
    on(s, obs) {
      if (obs.kind === 'send' && obs.from === plan.primary) {
        const fresh = payload<Log>(obs.event).records.flatMap((r) =>
          r.entry.kind === 'output' && r.entry.seq > s.logged ? [{ seq: r.entry.seq, atUs: obs.t }] : [],
        );
        if (fresh.length === 0) return s;
        const logged = fresh[fresh.length - 1]?.seq ?? s.logged;
        return { ...s, open: [...s.open, ...fresh.filter((o) => o.seq > s.seen)], logged };
      }
      if (obs.kind !== 'deliver' || obs.to !== plan.client) return s;
      const { seq } = payload<{ seq: number }>(obs.event);
      if (seq <= s.seen) return s;
      return { ...s, seen: seq, open: s.open.filter((o) => o.seq > seq) };
    },
    deadline: (s) => {
      const first = s.open[0];
      return first === undefined ? null : { atUs: first.atUs + withinUs, what: `output #${first.seq} dispatched` };
    },
  };
}
