// Exactly-once output (M1): the outside world never sees two different payloads for one sequence number, and its
// application receives each VM's stream in order, each packet once, as the wire first carried it — across failover.

import type { HaPlan } from '../../actors/ha.js';
import { asWire } from './haObservations.js';
import { EMPTY_PVEC, type PVec, pvecGet, pvecSet } from './pvec.js';
import { fail, type Monitor } from './spec.js';

interface State {
  /** Per VM (String(vm)): the first payload the wire carried for each seq. */
  readonly wire: Readonly<Record<string, PVec>>;
  /** Per VM: the seq the application must receive next. */
  readonly appNext: Readonly<Record<string, number>>;
}

/**
 * A VM that re-executes an epoch after failover may produce different output (its inputs differ); if the
 * world had already seen the first version, that is the divergence output commit exists to prevent.
 */
export function exactlyOnce(plan: HaPlan): Monitor<State> {
  return {
    name: 'exactly-once',
    specId: 'M1',
    description:
      'Each sequence number of a VM reaches the outside world with one payload only, and its application gets the stream in order, each packet once.',
    observesText: 'packets arriving at the outside world; packets handed to its application',
    observes: { deliver: ['wire.packet', 'app.deliver'] },
    initial: () => ({ wire: {}, appNext: {} }),
    on(s, obs) {
      if (obs.kind !== 'deliver') return s;
      const p = asWire(obs.event);
      const key = String(p.vm);
      const seen = s.wire[key] ?? EMPTY_PVEC;
      const first = pvecGet(seen, p.seq);
      if (obs.event.type === 'wire.packet' && obs.to === plan.receiver) {
        if (first === undefined) return { ...s, wire: { ...s.wire, [key]: pvecSet(seen, p.seq, p.payload) } };
        if (first !== p.payload) {
          return fail(
            `VM ${p.vm}'s packet #${p.seq} reached the outside world twice with different payloads (${first}, then ${p.payload} from ${obs.from})`,
          );
        }
        return s;
      }
      if (obs.event.type !== 'app.deliver' || obs.to !== plan.app) return s;
      const next = s.appNext[key] ?? 1;
      if (p.seq !== next) {
        return fail(
          `the application got VM ${p.vm}'s packet #${p.seq} when #${next} was next (${p.seq < next ? 'a duplicate' : 'a gap'})`,
        );
      }
      if (first !== p.payload) {
        return fail(`the application got VM ${p.vm}'s packet #${p.seq} with a payload the wire never carried first`);
      }
      return { ...s, appNext: { ...s.appNext, [key]: next + 1 } };
    },
  };
}
