// M6, replay-equals-plain-replay: a replay that pauses for replay-only functions (save, run, restore) produces the
// same outputs and the same final state as a plain replay of the same log with no functions at all.

import type { ReplayPlan } from '../../actors/replay.js';
import { type DetLogEntry, type DetOutput, guestDigest, initialGuest, replayLog } from '../../dataplane/detGuest.js';
import { fail, type Monitor, payload } from './spec.js';

/**
 * The monitor's own view: the log entries, by index, exactly as the store delivered them to the replayer. Its
 * reference is detGuest's `replayLog` over them: a replay with no replay-only function in it.
 */
export interface PlainState {
  readonly log: readonly DetLogEntry[];
}

interface Chunk {
  readonly from: number;
  readonly entries: readonly DetLogEntry[];
}

/** Adds the chunk's entries the monitor has not seen; a chunk never skips ahead of what the replayer asked for. */
function merge(log: readonly DetLogEntry[], c: Chunk): readonly DetLogEntry[] {
  const fresh = c.from <= log.length ? c.entries.slice(log.length - c.from) : [];
  return fresh.length > 0 ? [...log, ...fresh] : log;
}

function checkOutputs(s: PlainState, plan: ReplayPlan, outputs: readonly DetOutput[]): string | null {
  const ref = replayLog(initialGuest(plan.seed), plan.program, s.log).outputs;
  for (const o of outputs) {
    const want = ref[o.seq - 1];
    if (want === undefined) {
      return `the replay reported output ${o.seq} (at icount ${o.at}), but a plain replay of the ${s.log.length} log entries it was given produces only ${ref.length}`;
    }
    if (want.at !== o.at || want.payload !== o.payload) {
      return `replayed output ${o.seq} is payload ${o.payload} at icount ${o.at}; a plain replay of the same log (no replay-only functions) gives payload ${want.payload} at icount ${want.at}`;
    }
  }
  return null;
}

interface Finished {
  readonly entries: number;
  readonly icount: number;
  readonly digest: number;
}

function checkFinish(s: PlainState, plan: ReplayPlan, f: Finished): string | null {
  if (f.entries > s.log.length) return `the replay finished after ${f.entries} entries; it was given ${s.log.length}`;
  const ref = replayLog(initialGuest(plan.seed), plan.program, s.log.slice(0, f.entries)).guest;
  const digest = guestDigest(ref);
  if (ref.icount !== f.icount || digest !== f.digest) {
    return `the replay of ${f.entries} log entries ended at icount ${f.icount} with state digest ${f.digest}; a plain replay of them ends at icount ${ref.icount} with digest ${digest}`;
  }
  return null;
}

export function replayEqualsPlain(plan: ReplayPlan): Monitor<PlainState> {
  return {
    name: 'replay-equals-plain-replay',
    specId: 'M6',
    description:
      'A replay with replay-only functions reports the same outputs and final state as a plain replay of the same log.',
    observesText: 'log chunks delivered to the replay VM; the outputs and final state digest it reports',
    observes: { deliver: ['replay.chunk'], send: ['store.outputs', 'store.finished'] },
    initial: () => ({ log: [] }),
    on(s, obs) {
      if (obs.kind === 'deliver' && obs.to === plan.replayer) {
        const log = merge(s.log, payload<Chunk>(obs.event));
        return log === s.log ? s : { log };
      }
      if (obs.kind !== 'send' || obs.from !== plan.replayer) return s;
      const wrong =
        obs.event.type === 'store.outputs'
          ? checkOutputs(s, plan, payload<{ outputs: readonly DetOutput[] }>(obs.event).outputs)
          : checkFinish(s, plan, payload<Finished>(obs.event));
      return wrong === null ? s : fail(wrong);
    },
  };
}
