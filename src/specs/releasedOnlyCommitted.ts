// Released only committed (M1, safety): the buffer lets an output out only after the checkpoint of the epoch it
// belongs to — or of a later one, since a checkpoint covers every epoch before it — was delivered to the backup.

import type { OutputCommitPlan } from '../../actors/outputCommit.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** The buffer's open epoch as the plugs delivered to it say: 1 until the first plug. */
  readonly openEpoch: number;
  /** [seq, epoch] of every output delivered to the buffer, in arrival order (the first arrival of a seq counts). */
  readonly tags: readonly (readonly [number, number])[];
  /** The highest epoch whose save was delivered to the backup (0: none). */
  readonly savedEpoch: number;
}

/**
 * An output's epoch is the open epoch when its `net.output` reached the buffer, counted from the plugs delivered
 * there (a plug not above the open epoch changes nothing, as at the buffer). A `net.deliver` the buffer sends for
 * seq s is a violation unless a `ckpt.save` of that epoch or a later one had reached the backup before it.
 */
export function releasedOnlyCommitted(plan: OutputCommitPlan): Monitor<State> {
  return {
    name: 'released-only-committed',
    specId: 'M1',
    description:
      "The buffer releases an output only after a checkpoint covering its epoch (that epoch's or a later one) reached the backup.",
    observesText: 'plugs and outputs delivered to the buffer, saves delivered to the backup, outputs the buffer sends',
    observes: { deliver: ['buffer.plug', 'net.output', 'ckpt.save'], send: ['net.deliver'] },
    initial: () => ({ openEpoch: 1, tags: [], savedEpoch: 0 }),
    on(s, obs) {
      if (obs.kind === 'deliver') {
        const e = obs.event;
        if (e.type === 'ckpt.save' && obs.to === plan.replica) {
          return { ...s, savedEpoch: Math.max(s.savedEpoch, payload<{ epoch: number }>(e).epoch) };
        }
        if (obs.to !== plan.buffer) return s;
        if (e.type === 'buffer.plug')
          return { ...s, openEpoch: Math.max(s.openEpoch, payload<{ epoch: number }>(e).epoch) };
        if (e.type !== 'net.output') return s;
        const seq = payload<{ seq: number }>(e).seq;
        return s.tags.some((t) => t[0] === seq) ? s : { ...s, tags: [...s.tags, [seq, s.openEpoch] as const] };
      }
      if (obs.kind !== 'send' || obs.from !== plan.buffer) return s;
      const seq = payload<{ seq: number }>(obs.event).seq;
      const tag = s.tags.find((t) => t[0] === seq);
      if (tag === undefined) return fail(`${plan.buffer} released output #${seq}, which the guest never handed it`);
      if (tag[1] > s.savedEpoch) {
        const saved = s.savedEpoch === 0 ? 'no checkpoint has' : `only checkpoints up to epoch ${s.savedEpoch} have`;
        return fail(`${plan.buffer} released output #${seq} of epoch ${tag[1]}, but ${saved} reached ${plan.replica}`);
      }
      return s;
    },
  };
}
