// Resync only on a real divergence (M5): the secondary asks for a checkpoint resynchronisation only after a
// divergence was injected into it since its last install, and its acknowledged log position only moves forward.

import type { LockstepPlan } from '../../actors/lockstep.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** A divergence was injected into the secondary since its last installed state. */
  readonly injected: boolean;
  /** The last resync request seen. */
  readonly requested: number;
  /** The log position the secondary last acknowledged. */
  readonly received: number;
}

/** Applied records stay applied, and an installed state is the primary's newest: the position never goes back. */
function acked(s: State, received: number): State | ReturnType<typeof fail> {
  if (received >= s.received) return { ...s, received };
  return fail(`the secondary acknowledged log position ${received} after ${s.received}: it went back`);
}

export function lockstepResyncOnDivergence(plan: LockstepPlan): Monitor<State> {
  return {
    name: 'lockstep-resync-on-divergence',
    specId: 'M5',
    description:
      'The secondary asks for a resynchronisation only when a divergence was injected into it: a log record applied twice or skipped makes it ask with none.',
    observesText:
      "injections and states delivered to the secondary; the secondary's acknowledgements and resync requests",
    observes: { deliver: ['lss.inject', 'lss.state'], send: ['lsp.resync', 'lsp.ack'] },
    initial: () => ({ injected: false, requested: 0, received: 0 }),
    on(s, obs) {
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.secondary) return s;
        if (obs.event.type === 'lss.inject') return { ...s, injected: true };
        return payload<{ id: number }>(obs.event).id === s.requested ? { ...s, injected: false } : s;
      }
      if (obs.kind !== 'send' || obs.from !== plan.secondary) return s;
      if (obs.event.type === 'lsp.ack') return acked(s, payload<{ received: number }>(obs.event).received);
      const { id, at } = payload<{ id: number; at: number }>(obs.event);
      if (id === s.requested) return s;
      if (!s.injected) {
        return fail(`the secondary asked for resync #${id} at log record ${at} with no divergence injected into it`);
      }
      return { ...s, requested: id };
    },
  };
}
