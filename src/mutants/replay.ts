// Planted bugs of record/replay with replay-only functions (M6): each is one plausible slip in the replay VM or the
// recording VM, caught by a spec of `replay-analysis` in one of its check configurations.

import { enqueueActions } from 'xstate';
import { type DetGuest, type DetOutput, runTo } from '../../dataplane/detGuest.js';
import { analyse, pointsPassed } from '../../dataplane/replayFunction.js';
import { replayerMachine } from '../../machines/replayerMachine.js';
import { type ReplayRecorderContext, replayRecorderMachine } from '../../machines/replayRecorderMachine.js';
import type { Mutant } from '../scenarios/types.js';

const SCENARIO = 'replay-analysis';

/** The recorder's slice with each marked function run in place, as if the replay-only mark were ignored. */
function sliceRunningFunctions(c: ReplayRecorderContext) {
  const target = Math.min(c.guest.icount + c.instrsPerTick, c.instructions);
  const outputs: DetOutput[] = [];
  let guest: DetGuest = c.guest;
  for (const p of pointsPassed(c.analysisAt, c.guest.icount, target)) {
    const r = runTo(guest, c.program, p);
    outputs.push(...r.outputs);
    guest = analyse(r.guest, p).guest;
  }
  const r = runTo(guest, c.program, target);
  outputs.push(...r.outputs);
  const entries = outputs.map((o) => ({ kind: 'output' as const, ...o }));
  return {
    guest: r.guest,
    unacked: [...c.unacked, ...entries],
    stats: { ...c.stats, outputs: c.stats.outputs + outputs.length },
  };
}

/**
 * The recorder's ack handling without its stale-ack rule: an ack with nothing in flight is counted against the new
 * log (and found to ack more than it holds), instead of ignored; any other ack is the machine's own.
 */
const takeEveryAck = enqueueActions(({ context: c, event, enqueue }) => {
  const upTo = (event as unknown as { upTo: number }).upTo;
  const held = c.acked + c.unacked.length;
  if (c.sentUpTo < 0 && upTo > held) throw new Error(`replayRecorder: the store acked ${upTo} entries of ${held}`);
  enqueue(replayRecorderMachine.implementations.actions.takeAck as never);
});

export const replayMutants: readonly Mutant[] = [
  {
    name: 'state-not-restored',
    description:
      'After a replay-only function the replay resumes on the VM state the function left, not the saved one (M6)',
    machine: 'replayer',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'replay-equals-plain-replay',
    overrides: () => ({
      replayer: replayerMachine.provide({
        actions: {
          restoreVm: enqueueActions(({ context: c, enqueue }) => enqueue.assign({ nextPoint: c.nextPoint + 1 })),
        },
      }),
    }),
  },
  {
    name: 'function-while-recording',
    description: 'The recording VM runs the marked functions too, as ordinary code, instead of passing over them (M6)',
    machine: 'replayRecorder',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'functions-replay-only',
    overrides: () => ({
      replayRecorder: replayRecorderMachine.provide({
        actions: {
          runSlice: enqueueActions(({ context, enqueue }) => enqueue.assign(sliceRunningFunctions(context))),
        },
      }),
    }),
  },
  {
    // The bug rec-crash found when its grid was widened: the recorder threw, which check then reported as an error
    // without a path; now it is a counterexample of the property every system has.
    name: 'stale-ack-trusted',
    description:
      'The recording VM takes an ack that arrives with nothing in flight (one for an append sent before its host crashed) as acking its new log, and throws on the count (M6)',
    machine: 'replayRecorder',
    scenario: SCENARIO,
    config: 'rec-crash',
    expectedSpec: 'no-machine-exception',
    overrides: () => ({
      replayRecorder: replayRecorderMachine.provide({ actions: { takeAck: takeEveryAck as never } }),
    }),
  },
  {
    name: 'function-retried-forever',
    description: 'The replay VM never gives up on a replay-only function whose host is gone, so the replay stalls (M6)',
    machine: 'replayer',
    scenario: SCENARIO,
    config: 'analysis-crash',
    expectedSpec: 'replay-completes',
    overrides: () => ({ replayer: replayerMachine.provide({ guards: { isOutOfRetries: () => false } }) }),
  },
  {
    name: 'restart-not-resumed',
    description: 'The replay VM restarted after a crash never asks its disk where to resume, so the replay stalls (M6)',
    machine: 'replayer',
    scenario: SCENARIO,
    config: 'replay-crash',
    expectedSpec: 'replay-completes',
    overrides: () => ({ replayer: replayerMachine.provide({ actions: { askLatest: enqueueActions(() => {}) } }) }),
  },
];
