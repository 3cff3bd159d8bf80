// The recording VM of M6: runs the deterministic guest live on a timer, takes interrupts and I/O values whenever the
// network delivers them (logged against the icount it took them at), skips replay-only functions, ships its log.

import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  applyInput,
  applyIrq,
  type DetGuest,
  type DetLogEntry,
  type DetProgram,
  initialGuest,
  runTo,
} from '../dataplane/detGuest.js';
import { pointsPassed } from '../dataplane/replayFunction.js';
import { type LogStoreEvent, type RecorderEvent, type ReplaySend, replaySend } from './replayEvents.js';

export interface ReplayRecorderInput {
  readonly store: string;
  readonly seed: number;
  readonly program: DetProgram;
  /** Instructions the recording runs in all; then the log is sealed. */
  readonly instructions: number;
  readonly tickUs: number;
  readonly instrsPerTick: number;
  /** The program's marked replay-only functions (icounts): the recording VM passes them without running them. */
  readonly analysisAt: readonly number[];
  readonly retransmitUs: number;
  /** Resends without progress before the recorder gives up shipping (the log then ends where the store has it). */
  readonly maxRetries: number;
}

export interface ReplayRecorderContext extends ReplayRecorderInput {
  readonly guest: DetGuest;
  /** Log entries the store has not acked yet, from log index `acked` on. */
  readonly unacked: readonly DetLogEntry[];
  readonly acked: number;
  /** The end of the last append sent (log index), or -1 when none is in flight. */
  readonly sentUpTo: number;
  readonly retries: number;
  readonly stats: {
    readonly irqs: number;
    readonly inputs: number;
    readonly outputs: number;
    readonly functionsSkipped: number;
    readonly appends: number;
    readonly resends: number;
    readonly lateInputs: number;
  };
}

type Emitted = ReplaySend<LogStoreEvent>;

export const RECORDER_TICK_ID = 'recorder.tick';
export const RECORDER_RETRANSMIT_ID = 'recorder.retransmit';
/** Most log entries held unacked: a store unreachable this long is a limit hit, not a queue that grows. */
export const RECORDER_LOG_MAX = 4096;

function logged(c: ReplayRecorderContext, entries: readonly DetLogEntry[]): readonly DetLogEntry[] {
  if (c.unacked.length + entries.length > RECORDER_LOG_MAX) {
    throw new Error(`replayRecorder: more than ${RECORDER_LOG_MAX} log entries unacked by the store`);
  }
  return [...c.unacked, ...entries];
}

/** One slice of live execution: outputs are logged as produced; marked functions are passed over, never run. */
export function runSlice(c: ReplayRecorderContext) {
  const from = c.guest.icount;
  const r = runTo(c.guest, c.program, Math.min(from + c.instrsPerTick, c.instructions));
  const outputs = r.outputs.map((o) => ({ kind: 'output' as const, ...o }));
  const skipped = pointsPassed(c.analysisAt, from, r.guest.icount).length;
  const stats = {
    ...c.stats,
    outputs: c.stats.outputs + outputs.length,
    functionsSkipped: c.stats.functionsSkipped + skipped,
  };
  return { guest: r.guest, unacked: logged(c, outputs), stats };
}

/** Takes an input now, at whatever icount the guest has reached, and logs it against that icount. */
export function takeInput(c: ReplayRecorderContext, e: RecorderEvent) {
  const at = c.guest.icount;
  if (e.type === 'recorder.irq') {
    const entry = { kind: 'irq' as const, at, vector: e.vector };
    return {
      guest: applyIrq(c.guest, e.vector),
      unacked: logged(c, [entry]),
      stats: { ...c.stats, irqs: c.stats.irqs + 1 },
    };
  }
  if (e.type !== 'recorder.input') throw new Error(`replayRecorder: ${e.type} is not an input`);
  const entry = { kind: 'input' as const, at, value: e.value };
  return {
    guest: applyInput(c.guest, e.value),
    unacked: logged(c, [entry]),
    stats: { ...c.stats, inputs: c.stats.inputs + 1 },
  };
}

/** Everything unacked in one append (window one); `last` once the recording has run to its end. */
function append(c: ReplayRecorderContext): Emitted {
  const last = c.guest.icount >= c.instructions;
  return replaySend(c.store, { type: 'store.append', from: c.acked, entries: c.unacked, last });
}

export const replayRecorderMachine = setup({
  types: {
    context: {} as ReplayRecorderContext,
    events: {} as RecorderEvent,
    input: {} as ReplayRecorderInput,
    emitted: {} as Emitted,
  },
  actions: {
    armTick: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'recorder.tick' }, { id: RECORDER_TICK_ID, delay: context.tickUs });
    }),
    runSlice: enqueueActions(({ context, enqueue }) => enqueue.assign(runSlice(context))),
    takeInput: enqueueActions(({ context, event, enqueue }) => enqueue.assign(takeInput(context, event))),
    countLate: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, lateInputs: c.stats.lateInputs + 1 } });
    }),
    // One append in flight at a time: the next goes when it is acked, carrying whatever was logged meanwhile.
    shipIfIdle: enqueueActions(({ context: c, enqueue }) => {
      const last = c.guest.icount >= c.instructions;
      if (c.sentUpTo >= 0 || (c.unacked.length === 0 && !last)) return;
      enqueue.assign({ sentUpTo: c.acked + c.unacked.length, stats: { ...c.stats, appends: c.stats.appends + 1 } });
      enqueue.emit(append(c));
      enqueue.raise({ type: 'recorder.retransmit' }, { id: RECORDER_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    resend: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({
        sentUpTo: c.acked + c.unacked.length,
        retries: c.retries + 1,
        stats: { ...c.stats, resends: c.stats.resends + 1 },
      });
      enqueue.emit(append(c));
      enqueue.raise({ type: 'recorder.retransmit' }, { id: RECORDER_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    // An ack of an older append moves `acked` on but leaves the newer one in flight (its timer still covers it). With
    // nothing in flight every append of this incarnation is acked, so an ack then is stale: a late one, or one for an
    // append the recorder sent before its host crashed, reaching the fresh recorder before `host.restarted` does.
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'recorder.acked');
      if (c.sentUpTo < 0) return;
      if (event.upTo > c.acked + c.unacked.length) {
        throw new Error(`replayRecorder: the store acked ${event.upTo} entries of ${c.acked + c.unacked.length}`);
      }
      const acked = Math.max(c.acked, event.upTo);
      const done = event.upTo >= c.sentUpTo && c.sentUpTo >= 0;
      enqueue.assign({
        acked,
        unacked: c.unacked.slice(acked - c.acked),
        sentUpTo: done ? -1 : c.sentUpTo,
        retries: acked > c.acked ? 0 : c.retries,
      });
      if (done) enqueue.cancel(RECORDER_RETRANSMIT_ID);
    }),
    sendClose: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(RECORDER_TICK_ID);
      enqueue.emit(replaySend(c.store, { type: 'store.close' }));
      enqueue.raise({ type: 'recorder.retransmit' }, { id: RECORDER_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    countRetry: enqueueActions(({ context: c, enqueue }) => enqueue.assign({ retries: c.retries + 1 })),
    stopTimers: enqueueActions(({ enqueue }) => {
      enqueue.cancel(RECORDER_TICK_ID);
      enqueue.cancel(RECORDER_RETRANSMIT_ID);
    }),
  },
  guards: {
    isLastSlice: ({ context: c }) => c.guest.icount + c.instrsPerTick >= c.instructions,
    isSealed: ({ event }) => event.type === 'recorder.acked' && event.sealed,
    isOutOfRetries: ({ context }) => context.retries >= context.maxRetries,
  },
}).createMachine({
  id: 'replayRecorder',
  context: ({ input }) => ({
    ...input,
    guest: initialGuest(input.seed),
    unacked: [],
    acked: 0,
    sentUpTo: -1,
    retries: 0,
    stats: { irqs: 0, inputs: 0, outputs: 0, functionsSkipped: 0, appends: 0, resends: 0, lateInputs: 0 },
  }),
  initial: 'recording',
  on: {
    // The recording in memory is gone: the store is told the log ends where it ends.
    'host.restarted': { target: '.closing', actions: 'stopTimers' },
  },
  states: {
    recording: {
      entry: 'armTick',
      on: {
        'recorder.tick': [
          { guard: 'isLastSlice', target: 'finishing', actions: 'runSlice' },
          { actions: ['runSlice', 'shipIfIdle', 'armTick'] },
        ],
        'recorder.irq': { actions: 'takeInput' },
        'recorder.input': { actions: 'takeInput' },
        'recorder.acked': { actions: ['takeAck', 'shipIfIdle'] },
        'recorder.retransmit': [{ guard: 'isOutOfRetries', target: 'gaveUp' }, { actions: 'resend' }],
      },
    },
    // The guest ran to its end: inputs now come too late to be taken; the last append seals the log.
    finishing: {
      entry: 'shipIfIdle',
      on: {
        'recorder.irq': { actions: 'countLate' },
        'recorder.input': { actions: 'countLate' },
        'recorder.acked': [
          { guard: 'isSealed', target: 'sealed', actions: 'takeAck' },
          { actions: ['takeAck', 'shipIfIdle'] },
        ],
        'recorder.retransmit': [{ guard: 'isOutOfRetries', target: 'gaveUp' }, { actions: 'resend' }],
      },
    },
    sealed: {
      on: { 'recorder.irq': { actions: 'countLate' }, 'recorder.input': { actions: 'countLate' } },
    },
    closing: {
      entry: 'sendClose',
      on: {
        'recorder.acked': { guard: 'isSealed', target: 'closed', actions: 'stopTimers' },
        'recorder.retransmit': [
          { guard: 'isOutOfRetries', target: 'gaveUp' },
          { actions: ['countRetry', 'sendClose'] },
        ],
      },
    },
    closed: {},
    // The store stopped answering within the retries: the log ends where the store has it, unsealed.
    gaveUp: { entry: 'stopTimers' },
  },
});

/** Sample events for tests and test generation: one of each kind (a program of 10 instructions, 5 per tick). */
export const replayRecorderSampleEvents: readonly RecorderEvent[] = [
  { type: 'recorder.irq', vector: 32 },
  { type: 'recorder.tick' },
  { type: 'recorder.input', value: 7 },
  { type: 'recorder.retransmit' },
  { type: 'recorder.acked', upTo: 2, sealed: false },
  { type: 'recorder.tick' },
  { type: 'recorder.acked', upTo: 4, sealed: true },
  { type: 'host.restarted' },
  { type: 'recorder.acked', upTo: 4, sealed: true },
];
