// Checkpoint progress (M2, M3): the guest runs to its end and the checkpoint taken after it halted commits at the
// backup, by a deadline in virtual time. A stun never lifted, a part never re-sent, a backup never re-seeded: a stall.

import type { MemPlan } from '../../actors/memory.js';
import { type Monitor, payload } from './spec.js';

interface Progress {
  /** The highest epoch committed so far, and the highest committed when the guest reported itself halted. */
  readonly committed: number;
  readonly atHalt: number;
}

export function checkpointsCommit(plan: MemPlan, byUs: number): Monitor<Progress> {
  return {
    name: 'checkpoints-commit',
    specId: 'M3',
    description: `The guest halts and a checkpoint taken after that commits at the backup within ${byUs} µs.`,
    observesText: "the guest's stun reports (halted or not); the backup's commits",
    observes: { send: ['ckpt.stunned', 'ckpt.committed'] },
    initial: () => ({ committed: 0, atHalt: -1 }),
    on(s, obs) {
      if (obs.kind !== 'send') return s;
      if (obs.from === plan.guest) {
        const { halted } = payload<{ halted: boolean }>(obs.event);
        return halted && s.atHalt < 0 ? { ...s, atHalt: s.committed } : s;
      }
      if (obs.from !== plan.collector) return s;
      return { ...s, committed: Math.max(s.committed, payload<{ epoch: number }>(obs.event).epoch) };
    },
    deadline: (s) =>
      s.atHalt >= 0 && s.committed > s.atHalt
        ? null
        : { atUs: byUs, what: 'the checkpoint after the guest halted committed' },
  };
}
