// The host that runs M6's replay-only function: given a paused VM's state it runs the expensive scan (taking
// `analysisUs` of virtual time), and answers with the result and the VM state as the function left it.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { DetGuest } from '../dataplane/detGuest.js';
import { analyse } from '../dataplane/replayFunction.js';
import { type AnalyserEvent, type ReplayerEvent, type ReplaySend, replaySend } from './replayEvents.js';

export interface ReplayAnalyserInput {
  readonly replayer: string;
  readonly analysisUs: number;
}

export interface ReplayAnalyserContext extends ReplayAnalyserInput {
  /** The run under way: its point and the VM state it works on. */
  readonly job: { readonly point: number; readonly guest: DetGuest } | null;
  readonly runs: number;
}

export const ANALYSIS_FINISH_ID = 'analysis.finish';

export const replayAnalyserMachine = setup({
  types: {
    context: {} as ReplayAnalyserContext,
    events: {} as AnalyserEvent,
    input: {} as ReplayAnalyserInput,
    emitted: {} as ReplaySend<ReplayerEvent>,
  },
  actions: {
    start: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'analysis.run');
      enqueue.assign({ job: { point: event.point, guest: event.guest } });
      enqueue.raise({ type: 'analysis.finish' }, { id: ANALYSIS_FINISH_ID, delay: c.analysisUs });
    }),
    answer: enqueueActions(({ context: c, enqueue }) => {
      if (c.job === null) throw new Error('replayAnalyser: finished with no job');
      const { result, guest } = analyse(c.job.guest, c.job.point);
      enqueue.assign({ job: null, runs: c.runs + 1 });
      enqueue.emit(replaySend(c.replayer, { type: 'replay.analysed', point: c.job.point, result, guest }));
    }),
  },
}).createMachine({
  id: 'replayAnalyser',
  context: ({ input }) => ({ ...input, job: null, runs: 0 }),
  initial: 'idle',
  states: {
    idle: {
      on: { 'analysis.run': { target: 'running', actions: 'start' } },
    },
    // One run at a time: a resend that arrives meanwhile is answered by the run under way (or asked again).
    running: {
      on: { 'analysis.finish': { target: 'idle', actions: 'answer' } },
    },
  },
});

const SAMPLE_GUEST = {
  icount: 3,
  acc: 1,
  outSeq: 0,
  mem: Array.from({ length: 20 }, (_, i) => i),
  pt: [0, 1, 2, 3],
  tlb: [-1, -1, -1, -1],
};

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const replayAnalyserSampleEvents: readonly AnalyserEvent[] = [
  { type: 'analysis.run', point: 3, guest: SAMPLE_GUEST },
  { type: 'analysis.run', point: 3, guest: SAMPLE_GUEST },
  { type: 'analysis.finish' },
  { type: 'host.restarted' },
];
