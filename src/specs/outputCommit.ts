// Output commit (M1): no packet reaches the wire from the primary before the backup has acknowledged a checkpoint
// that covers it — unless the witness has made the primary the only host allowed to run (degraded mode).

import type { HaPlan } from '../../actors/ha.js';
import { asWire, type Coverage, NO_COVERAGE, observeCoverage } from './haObservations.js';
import { fail, type Monitor } from './spec.js';

interface State {
  readonly coverage: Coverage;
  /** The witness told the primary that only it may run (degraded mode), and has not yet said otherwise. */
  readonly exclusive: boolean;
}

/**
 * A packet is covered when a checkpoint whose CPU state had already produced it reached the backup and the
 * backup's ack for that checkpoint reached the coordinator: from then on the backup can only resume past it.
 */
export function outputCommit(plan: HaPlan): Monitor<State> {
  const checkpointed = new Set(plan.checkpointedVms.map(String));
  return {
    name: 'output-commit',
    specId: 'M1',
    description:
      "No checkpointed VM's packet leaves the primary before the backup has acknowledged a checkpoint covering it (degraded mode excepted).",
    observesText:
      "chunks delivered to the backup, acks delivered to the coordinator, packets the primary's NIC puts on the wire, the witness's degraded/protected replies",
    observes: {
      deliver: ['checkpoint.chunk', 'checkpoint.acked'],
      send: ['wire.packet', 'lease.degraded', 'lease.protected'],
    },
    initial: () => ({ coverage: NO_COVERAGE, exclusive: false }),
    on(s, obs) {
      if (obs.kind === 'deliver')
        return { ...s, coverage: observeCoverage(s.coverage, obs, plan.replica, plan.coordinator) };
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'lease.degraded' && obs.from === plan.witness) return { ...s, exclusive: true };
      if (obs.event.type === 'lease.protected' && obs.from === plan.witness) return { ...s, exclusive: false };
      if (obs.event.type !== 'wire.packet' || obs.fromGroup !== plan.primary || s.exclusive) return s;
      const p = asWire(obs.event);
      const covered = s.coverage.covered[String(p.vm)] ?? 0;
      if (checkpointed.has(String(p.vm)) && p.seq > covered) {
        return fail(
          `${obs.from} put VM ${p.vm}'s packet #${p.seq} on the wire, but the acknowledged checkpoints cover it only up to #${covered}`,
        );
      }
      return s;
    },
  };
}
