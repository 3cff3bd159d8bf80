// M6, functions-replay-only: replay-only functions run only during replay, never on the recording VM; so the
// recording's outputs are exactly what its logged inputs make, and only the replay VM ever asks for a function's run.

import type { ReplayPlan } from '../../actors/replay.js';
import { type DetLogEntry, initialGuest, replayLog } from '../../dataplane/detGuest.js';
import { fail, type Monitor, payload } from './spec.js';

/** The monitor's own copy of the log, by index, as the recording VM sent it to the store. */
export interface RecordedState {
  readonly log: readonly DetLogEntry[];
}

interface Append {
  readonly from: number;
  readonly entries: readonly DetLogEntry[];
}

function same(a: DetLogEntry, b: DetLogEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Merges an append; a resend that changes an entry already sent is a violation of its own. */
function merge(log: readonly DetLogEntry[], a: Append): readonly DetLogEntry[] | string {
  for (let i = 0; i < a.entries.length; i++) {
    const had = log[a.from + i];
    if (had !== undefined && !same(had, a.entries[i] as DetLogEntry)) {
      return `the recording VM resent log entry ${a.from + i} changed`;
    }
  }
  const fresh = a.from <= log.length ? a.entries.slice(log.length - a.from) : [];
  return fresh.length > 0 ? [...log, ...fresh] : log;
}

/** Every recorded output must be what the recorded inputs alone produce: nothing else ran in the recording VM. */
function checkRecording(plan: ReplayPlan, log: readonly DetLogEntry[], from: number): string | null {
  const ref = replayLog(initialGuest(plan.seed), plan.program, log).outputs;
  for (let i = from; i < log.length; i++) {
    const e = log[i] as DetLogEntry;
    if (e.kind !== 'output') continue;
    const want = ref[e.seq - 1];
    if (want === undefined || want.at !== e.at || want.payload !== e.payload) {
      return `the recording VM's output ${e.seq} (log entry ${i}, icount ${e.at}) is payload ${e.payload}, but its logged inputs alone give ${want === undefined ? 'no such output' : `payload ${want.payload} at icount ${want.at}`}: something outside the log (a replay-only function?) ran while recording`;
    }
  }
  return null;
}

export function functionsReplayOnly(plan: ReplayPlan): Monitor<RecordedState> {
  return {
    name: 'functions-replay-only',
    specId: 'M6',
    description:
      'Replay-only functions run only during replay: the recording VM never runs one, so its outputs are what its logged inputs make.',
    observesText: 'the log the recording VM sends to the store; every request to run a replay-only function',
    observes: { send: ['store.append', 'analysis.run'] },
    initial: () => ({ log: [] }),
    on(s, obs) {
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'analysis.run') {
        return obs.from === plan.replayer
          ? s
          : fail(`${obs.from} asked for a replay-only function's run outside replay`);
      }
      if (obs.from !== plan.recorder) return s;
      const log = merge(s.log, payload<Append>(obs.event));
      if (typeof log === 'string') return fail(log);
      if (log === s.log) return s;
      const wrong = checkRecording(plan, log, s.log.length);
      return wrong === null ? { log } : fail(wrong);
    },
  };
}
