// M6, replay-completes: once the operator asked for a replay and the log is sealed in the store, the replay VM
// reports the replay finished within a deadline in virtual time; a crash of its host restarts the clock.

import type { ReplayPlan } from '../../actors/replay.js';
import type { Monitor } from './spec.js';

export interface CompletesState {
  /** When the replay was asked for (or its host came back), virtual µs; -1 before. */
  readonly askedAt: number;
  /** When the store first told the recorder the log is sealed; -1 before. */
  readonly sealedAt: number;
  readonly down: boolean;
  readonly finished: boolean;
}

export function replayCompletes(plan: ReplayPlan, withinUs: number): Monitor<CompletesState> {
  return {
    name: 'replay-completes',
    specId: 'M6',
    description: `A requested replay of a sealed log finishes within ${withinUs} µs of virtual time (from the later of the request, the seal and a restart of the replay host).`,
    observesText: "the operator's request; the store's seal; the replay VM's finish; crashes of the replay host",
    observes: { deliver: ['replay.start'], send: ['recorder.acked', 'store.finished'], faults: true },
    initial: () => ({ askedAt: -1, sealedAt: -1, down: false, finished: false }),
    on(s, obs) {
      if (obs.kind === 'fault') {
        const f = obs.fault;
        if (f.kind === 'crash' && f.group === plan.replayHost) return { ...s, down: true };
        if (f.kind === 'restart' && f.group === plan.replayHost) return { ...s, down: false, askedAt: obs.t };
        return s;
      }
      if (obs.kind === 'deliver') return obs.to === plan.replayer && s.askedAt < 0 ? { ...s, askedAt: obs.t } : s;
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'recorder.acked') {
        const sealed = (obs.event as { sealed?: boolean }).sealed === true;
        return sealed && s.sealedAt < 0 && obs.from === plan.store ? { ...s, sealedAt: obs.t } : s;
      }
      return obs.from === plan.replayer ? { ...s, finished: true } : s;
    },
    deadline: (s) =>
      s.askedAt >= 0 && s.sealedAt >= 0 && !s.finished && !s.down
        ? { atUs: Math.max(s.askedAt, s.sealedAt) + withinUs, what: 'the replay of the sealed log finished' }
        : null,
  };
}
