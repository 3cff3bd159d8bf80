// Accesses answered (M15/M16, liveness): every access the guest makes is answered within a bound of virtual time
// after it was first sent, whatever the link loses or delays and however often the device host restarts.

import type { FaultyPlan } from '../../actors/faultyDevice.js';
import { type Monitor, payload } from './spec.js';

/** An access first sent at `sentAt` and not yet answered. */
interface Open {
  readonly op: number;
  readonly sentAt: number;
}

/** Observes the accesses the guest sends the MMU and the answers delivered back to it. */
export function accessesAnswered(plan: FaultyPlan, boundUs: number): Monitor<readonly Open[]> {
  return {
    name: 'accesses-answered',
    specId: 'M16',
    description: `Every guest access is answered within ${boundUs} µs of virtual time after it was first sent.`,
    observesText: 'the accesses the guest sends; the answers delivered to it',
    observes: { send: ['mmu.access'], deliver: ['io.answered'] },
    initial: () => [],
    on(open, obs) {
      if (obs.kind === 'send' && obs.from === plan.guest) {
        const { op } = payload<{ op: number }>(obs.event);
        return open.some((o) => o.op === op) ? open : [...open, { op, sentAt: obs.t }];
      }
      if (obs.kind !== 'deliver' || obs.to !== plan.guest) return open;
      const { op } = payload<{ op: number }>(obs.event);
      return open.some((o) => o.op === op) ? open.filter((o) => o.op !== op) : open;
    },
    deadline(open) {
      const first = open[0];
      if (first === undefined) return null;
      return { atUs: first.sentAt + boundUs, what: `access op ${first.op} answered (${open.length} open)` };
    },
  };
}
