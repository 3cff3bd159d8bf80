// The replay VM of M6: fetches the stored log and replays it on the deterministic guest; at each replay-only function
// it pauses, saves the VM state to disk, has the function run, restores the saved state and resumes the replay.

import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  type DetGuest,
  type DetLogEntry,
  type DetOutput,
  type DetProgram,
  guestDigest,
  initialGuest,
  replayInput,
  runTo,
} from '../dataplane/detGuest.js';
import { type AnalysisResult, replayCostUs, savedBytes } from '../dataplane/replayFunction.js';
import {
  type AnalyserEvent,
  type LogStoreEvent,
  type ReplayerEvent,
  type ReplaySend,
  replaySend,
  type StateSaveEvent,
} from './replayEvents.js';

export interface ReplayerInput {
  readonly store: string;
  readonly stateSave: string;
  readonly analyser: string;
  readonly seed: number;
  readonly program: DetProgram;
  /** The program's marked replay-only functions, by icount (strictly increasing). */
  readonly analysisAt: readonly number[];
  /** Log entries fetched at once (the replayer's buffer). */
  readonly chunkMax: number;
  /** Virtual ns one replayed instruction costs. */
  readonly instrNs: number;
  readonly retransmitUs: number;
  /** Resends of a fetch or of a function's run before giving up (a fetch: the replay fails; a function: skipped). */
  readonly maxRetries: number;
}

export interface ReplayerContext extends ReplayerInput {
  readonly guest: DetGuest;
  /** Fetched entries not yet applied; the first is log entry `index`. */
  readonly pending: readonly DetLogEntry[];
  readonly index: number;
  /** What the store said with its last chunk: whether the log is sealed, and how many entries it holds. */
  readonly sealed: boolean;
  readonly total: number;
  /** The next marked function to reach (an index into `analysisAt`). */
  readonly nextPoint: number;
  readonly retries: number;
  readonly results: readonly (AnalysisResult | null)[];
  readonly stats: {
    readonly pauses: number;
    readonly analyses: number;
    readonly skipped: number;
    readonly outputs: number;
    readonly bytesSaved: number;
    readonly bytesRestored: number;
    readonly resumes: number;
    readonly resends: number;
  };
}

type Emitted = ReplaySend<LogStoreEvent> | ReplaySend<StateSaveEvent> | ReplaySend<AnalyserEvent>;

export const REPLAY_STEP_ID = 'replay.step';
export const REPLAY_RETRANSMIT_ID = 'replay.retransmit';

/** The marked point the replay is at or heading for, or undefined when none is left. */
export function pointOf(c: ReplayerContext): number | undefined {
  return c.analysisAt[c.nextPoint];
}

/** Whether the next stretch ends at a marked function (it comes no later than the next entry's icount). */
export function isPointDue(c: ReplayerContext): boolean {
  const p = pointOf(c);
  const e = c.pending[0];
  return p !== undefined && e !== undefined && p <= e.at;
}

/** Applies the next log entry: an input at its icount, or a run to where the recording produced an output. */
export function applyEntry(c: ReplayerContext): { next: Partial<ReplayerContext>; outputs: DetOutput[] } {
  const e = c.pending[0];
  if (e === undefined) throw new Error('replayer: a replay step with no entry fetched');
  const r = e.kind === 'output' ? runTo(c.guest, c.program, e.at) : replayInput(c.guest, c.program, e);
  const stats = { ...c.stats, outputs: c.stats.outputs + r.outputs.length };
  return { next: { guest: r.guest, index: c.index + 1, pending: c.pending.slice(1), stats }, outputs: r.outputs };
}

function report(c: ReplayerContext, outputs: readonly DetOutput[]): Emitted[] {
  return outputs.length === 0 ? [] : [replaySend(c.store, { type: 'store.outputs', outputs })];
}

function currentPoint(c: ReplayerContext): number {
  const p = pointOf(c);
  if (p === undefined) throw new Error('replayer: paused with no marked function left');
  return p;
}

export const replayerMachine = setup({
  types: {
    context: {} as ReplayerContext,
    events: {} as ReplayerEvent,
    input: {} as ReplayerInput,
    emitted: {} as Emitted,
  },
  actions: {
    sendFetch: enqueueActions(({ context: c, enqueue }) => {
      const from = c.index + c.pending.length;
      enqueue.emit(replaySend(c.store, { type: 'store.fetch', from, max: c.chunkMax - c.pending.length }));
      enqueue.raise({ type: 'replay.retransmit' }, { id: REPLAY_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    takeChunk: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'replay.chunk');
      if (c.pending.length + event.entries.length > c.chunkMax) throw new Error('replayer: a chunk over its buffer');
      const pending = [...c.pending, ...event.entries];
      enqueue.assign({ pending, sealed: event.sealed, total: event.total, retries: 0 });
      enqueue.cancel(REPLAY_RETRANSMIT_ID);
    }),
    countResend: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ retries: c.retries + 1, stats: { ...c.stats, resends: c.stats.resends + 1 } });
    }),
    // The stretch up to the next entry or marked function costs its instructions' time before it is done.
    armStep: enqueueActions(({ context: c, enqueue }) => {
      const e = c.pending[0];
      if (e === undefined) throw new Error('replayer: running with no entry fetched');
      const target = Math.min(e.at, pointOf(c) ?? e.at);
      const delay = replayCostUs(target - c.guest.icount, c.instrNs);
      enqueue.raise({ type: 'replay.step' }, { id: REPLAY_STEP_ID, delay });
    }),
    applyEntry: enqueueActions(({ context: c, enqueue }) => {
      const { next, outputs } = applyEntry(c);
      enqueue.assign(next);
      for (const s of report(c, outputs)) enqueue.emit(s);
    }),
    runToPoint: enqueueActions(({ context: c, enqueue }) => {
      const r = runTo(c.guest, c.program, currentPoint(c));
      const stats = { ...c.stats, outputs: c.stats.outputs + r.outputs.length, pauses: c.stats.pauses + 1 };
      enqueue.assign({ guest: r.guest, stats });
      for (const s of report(c, r.outputs)) enqueue.emit(s);
    }),
    saveVm: enqueueActions(({ context: c, enqueue }) => {
      const save = { point: currentPoint(c), pointIndex: c.nextPoint, index: c.index, guest: c.guest };
      enqueue.assign({ stats: { ...c.stats, bytesSaved: c.stats.bytesSaved + savedBytes(c.guest) } });
      enqueue.emit(replaySend(c.stateSave, { type: 'vm.save', save }));
    }),
    runFunction: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(replaySend(c.analyser, { type: 'analysis.run', point: currentPoint(c), guest: c.guest }));
      enqueue.raise({ type: 'replay.retransmit' }, { id: REPLAY_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    // The function ran inside the VM: the VM state is now as it left it, scribbled on, until it is restored.
    takeAnalysis: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'replay.analysed');
      enqueue.cancel(REPLAY_RETRANSMIT_ID);
      enqueue.assign({
        guest: event.guest,
        retries: 0,
        results: [...c.results, event.result],
        stats: { ...c.stats, analyses: c.stats.analyses + 1 },
      });
      enqueue.emit(replaySend(c.store, { type: 'store.analysed', point: event.point, result: event.result }));
    }),
    skipAnalysis: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({
        retries: 0,
        results: [...c.results, null],
        stats: { ...c.stats, skipped: c.stats.skipped + 1 },
      });
      enqueue.emit(replaySend(c.store, { type: 'store.analysed', point: currentPoint(c), result: null }));
    }),
    askRestore: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(replaySend(c.stateSave, { type: 'vm.restore', point: currentPoint(c) }));
    }),
    restoreVm: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'replay.restored');
      const bytesRestored = c.stats.bytesRestored + savedBytes(event.guest);
      enqueue.assign({ guest: event.guest, nextPoint: c.nextPoint + 1, stats: { ...c.stats, bytesRestored } });
    }),
    reportFinished: enqueueActions(({ context: c, enqueue }) => {
      const finished = { entries: c.index, icount: c.guest.icount, digest: guestDigest(c.guest) };
      enqueue.emit(replaySend(c.store, { type: 'store.finished', ...finished }));
    }),
    askLatest: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(REPLAY_STEP_ID);
      enqueue.cancel(REPLAY_RETRANSMIT_ID);
      enqueue.emit(replaySend(c.stateSave, { type: 'vm.latest' }));
    }),
    // Resumes from what the disk holds: the last pause's saved state (its function then runs again), or the start.
    loadSave: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'replay.latest');
      const from = event.save ?? { index: 0, pointIndex: 0, guest: initialGuest(c.seed) };
      const stats = { ...c.stats, resumes: c.stats.resumes + 1 };
      enqueue.assign({ guest: from.guest, index: from.index, nextPoint: from.pointIndex, pending: [], stats });
    }),
    stopTimers: enqueueActions(({ enqueue }) => {
      enqueue.cancel(REPLAY_STEP_ID);
      enqueue.cancel(REPLAY_RETRANSMIT_ID);
    }),
  },
  guards: {
    isThisChunk: ({ context: c, event }) =>
      event.type === 'replay.chunk' &&
      event.from === c.index + c.pending.length &&
      (event.entries.length > 0 || event.sealed),
    isLogDone: ({ context: c }) => c.sealed && c.pending.length === 0 && c.index >= c.total,
    isBufferEmpty: ({ context: c }) => c.pending.length === 0,
    isPointDue: ({ context }) => isPointDue(context),
    isThisAnalysis: ({ context: c, event }) => event.type === 'replay.analysed' && event.point === pointOf(c),
    isThisRestore: ({ context: c, event }) => event.type === 'replay.restored' && event.point === pointOf(c),
    isThisSave: ({ context: c, event }) => event.type === 'replay.saved' && event.point === pointOf(c),
    isOutOfRetries: ({ context }) => context.retries >= context.maxRetries,
  },
}).createMachine({
  id: 'replayer',
  context: ({ input }) => ({
    ...input,
    guest: initialGuest(input.seed),
    pending: [],
    index: 0,
    sealed: false,
    total: 0,
    nextPoint: 0,
    retries: 0,
    results: [],
    stats: {
      ...{ pauses: 0, analyses: 0, skipped: 0, outputs: 0 },
      ...{ bytesSaved: 0, bytesRestored: 0, resumes: 0, resends: 0 },
    },
  }),
  initial: 'idle',
  on: {
    // Memory is gone; the disk is not: resume from the state saved there (the operator's request is on disk too).
    'host.restarted': { target: '.resuming' },
  },
  states: {
    idle: {
      on: { 'replay.start': { target: 'fetching' } },
    },
    resuming: {
      entry: 'askLatest',
      on: { 'replay.latest': { target: 'fetching', actions: 'loadSave' } },
    },
    // An empty chunk of a log still open is not taken: the retransmission asks again later (a bounded poll).
    fetching: {
      entry: 'sendFetch',
      on: {
        'replay.chunk': { guard: 'isThisChunk', target: 'stepping', actions: 'takeChunk' },
        'replay.retransmit': [{ guard: 'isOutOfRetries', target: 'failed' }, { actions: ['countResend', 'sendFetch'] }],
      },
    },
    stepping: {
      always: [
        { guard: 'isLogDone', target: 'done', actions: 'reportFinished' },
        { guard: 'isBufferEmpty', target: 'fetching' },
        { target: 'replaying' },
      ],
    },
    replaying: {
      entry: 'armStep',
      on: {
        'replay.step': [
          { guard: 'isPointDue', target: 'paused', actions: 'runToPoint' },
          { target: 'stepping', actions: 'applyEntry' },
        ],
      },
    },
    // At a replay-only function: save, run it, restore. Each phase is a state, so the inspector shows the pause.
    paused: {
      initial: 'saving',
      states: {
        saving: {
          entry: 'saveVm',
          on: { 'replay.saved': { guard: 'isThisSave', target: 'analysing' } },
        },
        analysing: {
          entry: 'runFunction',
          on: {
            'replay.analysed': { guard: 'isThisAnalysis', target: 'restoring', actions: 'takeAnalysis' },
            'replay.retransmit': [
              { guard: 'isOutOfRetries', target: 'restoring', actions: 'skipAnalysis' },
              { actions: ['countResend', 'runFunction'] },
            ],
          },
        },
        restoring: {
          entry: 'askRestore',
          on: { 'replay.restored': { guard: 'isThisRestore', target: '#replayer.stepping', actions: 'restoreVm' } },
        },
      },
    },
    done: {},
    // The store never answered a fetch within the retries.
    failed: { entry: 'stopTimers' },
  },
});

const BOOT = initialGuest(1);

/** Sample events for tests and test generation (seed 1, a function at icount 3, outputs every 5 instructions). */
export const replayerSampleEvents: readonly ReplayerEvent[] = [
  { type: 'replay.start' },
  { type: 'replay.retransmit' },
  {
    type: 'replay.chunk',
    from: 0,
    entries: [
      { kind: 'irq', at: 2, vector: 32 },
      { kind: 'output', at: 5, seq: 1, payload: 9 },
    ],
    sealed: true,
    total: 2,
  },
  { type: 'replay.step' },
  { type: 'replay.step' },
  { type: 'replay.saved', point: 3 },
  { type: 'replay.retransmit' },
  { type: 'replay.analysed', point: 3, result: { point: 3, memDigest: 1, nonZeroWords: 16, maxWord: 9 }, guest: BOOT },
  { type: 'replay.restored', point: 3, guest: { ...BOOT, icount: 3 } },
  { type: 'replay.step' },
  { type: 'host.restarted' },
  { type: 'replay.latest', save: null },
];
