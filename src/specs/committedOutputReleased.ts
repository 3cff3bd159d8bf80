// Committed output released (M1, liveness): once an ack covering an output's epoch reached the coordinator, the
// buffer sends it within a bound of virtual time; a primary crash drops the obligations (Remus loses that output).

import type { OutputCommitPlan } from '../../actors/outputCommit.js';
import { type Monitor, payload } from './spec.js';

interface State {
  readonly openEpoch: number;
  /** [seq, epoch] of outputs delivered to the buffer and not yet sent by it, in arrival order. */
  readonly held: readonly (readonly [number, number])[];
  /** The highest epoch acked to the coordinator (0: none); an ack covers every epoch below it too. */
  readonly committedEpoch: number;
  /** [seq, due µs] of committed outputs not yet sent, in the order their obligations arose. */
  readonly owed: readonly (readonly [number, number])[];
  readonly vmDown: boolean;
}

export function committedOutputReleased(plan: OutputCommitPlan, releaseWithinUs: number): Monitor<State> {
  return {
    name: 'committed-output-released',
    specId: 'M1',
    description: `Every output whose epoch is committed (acked to the coordinator) is sent by the buffer within ${releaseWithinUs} µs, unless the primary crashes.`,
    observesText:
      'plugs and outputs delivered to the buffer, acks delivered to the coordinator, outputs the buffer sends, crashes',
    observes: { deliver: ['buffer.plug', 'net.output', 'ckpt.ack'], send: ['net.deliver'], faults: true },
    initial: () => ({ openEpoch: 1, held: [], committedEpoch: 0, owed: [], vmDown: false }),
    on(s, obs, view) {
      if (s.vmDown) return s;
      if (obs.kind === 'fault') return view.isDown(plan.vmHost) ? { ...s, vmDown: true, held: [], owed: [] } : s;
      if (obs.kind === 'send') {
        if (obs.from !== plan.buffer) return s;
        const seq = payload<{ seq: number }>(obs.event).seq;
        return { ...s, held: s.held.filter((h) => h[0] !== seq), owed: s.owed.filter((o) => o[0] !== seq) };
      }
      if (obs.kind !== 'deliver') return s;
      const e = obs.event;
      if (e.type === 'ckpt.ack' && obs.to === plan.coordinator)
        return commit(s, payload<{ epoch: number }>(e).epoch, obs.t + releaseWithinUs);
      if (obs.to !== plan.buffer) return s;
      if (e.type === 'buffer.plug')
        return { ...s, openEpoch: Math.max(s.openEpoch, payload<{ epoch: number }>(e).epoch) };
      if (e.type !== 'net.output') return s;
      const seq = payload<{ seq: number }>(e).seq;
      if (s.held.some((h) => h[0] === seq)) return s;
      // An output arriving in an epoch already committed is owed from its arrival.
      const owed = s.openEpoch <= s.committedEpoch ? [...s.owed, [seq, obs.t + releaseWithinUs] as const] : s.owed;
      return { ...s, held: [...s.held, [seq, s.openEpoch] as const], owed };
    },
    deadline(s) {
      const first = s.owed[0];
      if (s.vmDown || first === undefined) return null;
      return { atUs: first[1], what: `committed output #${first[0]} is still held by ${plan.buffer}` };
    },
  };
}

/** An ack of `epoch` commits every held output of the epochs it newly covers: each is owed by `dueUs`. */
function commit(s: State, epoch: number, dueUs: number): State {
  if (epoch <= s.committedEpoch) return s;
  const fresh = s.held.filter((h) => h[1] > s.committedEpoch && h[1] <= epoch);
  return { ...s, committedEpoch: epoch, owed: [...s.owed, ...fresh.map((h) => [h[0], dueUs] as const)] };
}
