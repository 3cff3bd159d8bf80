// Protection liveness (M1): once faults have healed with the primary, the backup and the witness all up, the backup
// is protecting the VMs again — an acknowledgement reaches the coordinator within a bound of virtual time, after a
// restart or a spell of unprotected running as much as in steady state. A protocol that never re-seeds stalls here.

import type { HaPlan } from '../../actors/ha.js';
import { networkFaults } from './haObservations.js';
import type { Monitor } from './spec.js';

interface State {
  readonly lastAckAt: number;
  readonly lastFaultAt: number;
  readonly cuts: readonly string[];
  readonly anyDown: boolean;
  /** Restarts seen: a `sometimes` reads it (a backup that came back and rejoined). */
  readonly restarts: number;
}

export function protectionLiveness(plan: HaPlan, boundUs: number): Monitor<State> {
  const needed = [plan.primary, plan.backup, plan.witnessHost];
  return {
    name: 'protection-liveness',
    specId: 'M1',
    description: `Once faults have healed with every host up, the backup acknowledges a checkpoint at least every ${boundUs} µs.`,
    observesText: 'acks delivered to the coordinator, faults',
    observes: { deliver: ['checkpoint.acked'], faults: true },
    initial: () => ({ lastAckAt: 0, lastFaultAt: 0, cuts: [], anyDown: false, restarts: 0 }),
    on(s, obs, view) {
      if (obs.kind === 'fault') {
        const k = obs.fault.kind;
        return {
          ...s,
          lastFaultAt: obs.t,
          cuts: networkFaults(s.cuts, obs.fault),
          anyDown: needed.some((g) => view.isDown(g)),
          restarts: s.restarts + (k === 'restart' ? 1 : 0),
        };
      }
      return obs.kind === 'deliver' && obs.to === plan.coordinator ? { ...s, lastAckAt: obs.t } : s;
    },
    deadline: (s) =>
      s.cuts.length > 0 || s.anyDown
        ? null
        : {
            atUs: Math.max(s.lastAckAt, s.lastFaultAt) + boundUs,
            what: 'the backup has not acknowledged a checkpoint',
          },
  };
}
