// M11, snapshot-settles: a started snapshot is reported — complete or incomplete — by the snapshot store within a
// deadline in virtual time; a snapshot left hanging (a copier that never resumes, a lost copy) is a violation.

import type { SnapshotPlan } from '../../actors/snapshot.js';
import type { Monitor } from './spec.js';

export interface SettlesState {
  /** When the filter took the start (virtual µs), or -1 before. */
  readonly startedAt: number;
  readonly reported: boolean;
}

export function snapshotSettles(plan: SnapshotPlan, withinUs: number): Monitor<SettlesState> {
  return {
    name: 'snapshot-settles',
    specId: 'M11',
    description: `A started snapshot is reported complete or incomplete within ${withinUs} µs of virtual time.`,
    observesText: "the operator's start reaching the snapshot filter; the store's verdicts",
    observes: { deliver: ['snapshot.start'], send: ['snapshot.sealed'] },
    initial: () => ({ startedAt: -1, reported: false }),
    on(s, obs) {
      if (obs.kind === 'deliver' && obs.to === plan.snapshot && s.startedAt < 0) return { ...s, startedAt: obs.t };
      if (obs.kind === 'send' && obs.from === plan.store && s.startedAt >= 0) return { ...s, reported: true };
      return s;
    },
    deadline: (s) =>
      s.startedAt >= 0 && !s.reported
        ? {
            atUs: s.startedAt + withinUs,
            what: `snapshot started at ${s.startedAt} µs reported complete or incomplete`,
          }
        : null,
  };
}
