// Released once, in order (M1, safety): the buffer lets each output out at most once, in the order it received
// them, with none skipped; after the primary host crashes nothing more is expected of it (Remus drops that output).

import type { OutputCommitPlan } from '../../actors/outputCommit.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** Seqs delivered to the buffer and not yet released, in arrival order. */
  readonly waiting: readonly number[];
  /** The last seq released (0: none). */
  readonly lastReleased: number;
  /** The primary host crashed: its buffer is gone, and so is every obligation of order. */
  readonly vmDown: boolean;
}

/**
 * Each `net.deliver` the buffer sends must carry the oldest output it received and has not released yet: a seq
 * released before is a repeat, any other seq skips (or reorders) the one that is next.
 */
export function releasedOnceInOrder(plan: OutputCommitPlan): Monitor<State> {
  return {
    name: 'released-once-in-order',
    specId: 'M1',
    description:
      'The buffer releases every output it received at most once, in arrival order, skipping none (until the primary crashes).',
    observesText: 'outputs delivered to the buffer, outputs the buffer sends, crashes of the primary host',
    observes: { deliver: ['net.output'], send: ['net.deliver'], faults: true },
    initial: () => ({ waiting: [], lastReleased: 0, vmDown: false }),
    on(s, obs, view) {
      if (s.vmDown) return s;
      if (obs.kind === 'fault') return view.isDown(plan.vmHost) ? { ...s, vmDown: true, waiting: [] } : s;
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.buffer || obs.event.type !== 'net.output') return s;
        const seq = payload<{ seq: number }>(obs.event).seq;
        // A seq seen before is not a second output: the guest numbers each output once.
        if (seq <= s.lastReleased || s.waiting.includes(seq)) return s;
        return { ...s, waiting: [...s.waiting, seq] };
      }
      if (obs.kind !== 'send' || obs.from !== plan.buffer) return s;
      const seq = payload<{ seq: number }>(obs.event).seq;
      const next = s.waiting[0];
      if (seq === next) return { ...s, waiting: s.waiting.slice(1), lastReleased: seq };
      if (seq <= s.lastReleased && !s.waiting.includes(seq)) {
        return fail(`${plan.buffer} released output #${seq} again (or after #${s.lastReleased}, out of order)`);
      }
      if (next === undefined) return fail(`${plan.buffer} released output #${seq}, which it never received`);
      return fail(`${plan.buffer} released output #${seq} while #${next}, received before it, was never released`);
    },
  };
}
