// The quasi-lockstep secondary (M5): it replays the primary's log on its own copy of the guest, compares every output
// its execution produces with the primary's, agrees or asks for a checkpoint resynchronisation, and goes live on loss.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type DetGuest, type DetProgram, initialGuest } from '../dataplane/detGuest.js';
import {
  type AgreedOutput,
  inject,
  type LockstepClientEvent,
  type LockstepPrimaryEvent,
  type LockstepSecondaryEvent,
  type LockstepSend,
  type LogRecord,
  lsend,
  replayRecord,
  runSlice,
  stateBytes,
  timerVector,
} from './lockstepEvents.js';

export interface LockstepSecondaryInput {
  readonly self: string;
  readonly primary: string;
  readonly client: string;
  readonly prog: DetProgram;
  readonly seed: number;
  readonly sliceUs: number;
  readonly sliceInstructions: number;
  readonly slices: number;
  readonly irqEverySlices: number;
  readonly inputQueueMax: number;
  /** Log messages after which an unanswered resync request is repeated (the state may have been lost). */
  readonly resendSlices: number;
  /** Records that arrived ahead of a missing one, kept until it comes (the link reorders): at most this many. */
  readonly reorderMax: number;
  /** Silence from the primary after which the secondary goes live (µs). */
  readonly peerTimeoutUs: number;
}

export interface LockstepSecondaryContext extends LockstepSecondaryInput {
  readonly guest: DetGuest;
  /** The log sequence number the secondary applies next: every record below it is applied (and acknowledged). */
  readonly next: number;
  /** Records received ahead of `next`, in seq order (at most `reorderMax`; the rest come again). */
  readonly early: readonly LogRecord[];
  /** Outputs agreed on that the primary has not yet said it dispatched: what going live must dispatch. */
  readonly agreed: readonly AgreedOutput[];
  /** The last output the primary said it dispatched (or the live secondary did). */
  readonly dispatched: number;
  /** The primary's guest has halted, its whole log is applied and every output dispatched: nothing to fail over. */
  readonly done: boolean;
  /** The log record whose output differed (0: none), and the number of the resynchronisation asked for. */
  readonly mismatchAt: number;
  readonly resyncId: number;
  /** Log messages received since the request went out (or was last repeated). */
  readonly resyncWait: number;
  readonly inputs: readonly number[];
  readonly stats: {
    readonly applied: number;
    readonly duplicates: number;
    readonly agreements: number;
    readonly mismatches: number;
    readonly installs: number;
    readonly stateBytes: number;
    readonly injections: number;
    readonly liveOutputs: number;
    readonly inputsDropped: number;
  };
}

type Ctx = LockstepSecondaryContext;
type Out = LockstepSend<LockstepPrimaryEvent | LockstepClientEvent>;
type LogEv = Extract<LockstepSecondaryEvent, { type: 'lss.log' }>;

export const SECONDARY_PEER_TIMER_ID = 'lss.peer';
export const SECONDARY_SLICE_TIMER_ID = 'lss.slice';

/** The records not yet applied from a message and those kept from before: in seq order, no repeats. */
export function unapplied(c: Ctx, records: readonly LogRecord[]): { fresh: LogRecord[]; repeats: number } {
  const fresh: LogRecord[] = [...c.early];
  let repeats = 0;
  for (const r of records) {
    if (r.seq < c.next || fresh.some((x) => x.seq === r.seq)) repeats++;
    else fresh.push(r);
  }
  return { fresh: fresh.sort((a, b) => a.seq - b.seq), repeats };
}

/**
 * Applies the records that come next, in order, skipping those already applied (a resend), keeping those ahead of
 * a missing one, and stopping at the first output whose payload differs from the primary's.
 */
export function followRecords(c: Ctx, records: readonly LogRecord[]): Partial<Ctx> {
  let { guest, next } = c;
  const agreed = [...c.agreed];
  const { fresh, repeats } = unapplied(c, records);
  let { applied, agreements, mismatches } = c.stats;
  let mismatchAt = 0;
  let i = 0;
  for (; i < fresh.length && mismatchAt === 0; i++) {
    const r = fresh[i] as LogRecord;
    if (r.seq !== next) break;
    const step = replayRecord(guest, c.prog, r);
    if (r.entry.kind === 'output') {
      // The guest stays before the differing output: if the secondary must go live, it produces it again itself.
      if (step.produced?.seq !== r.entry.seq || step.produced.payload !== r.entry.payload) {
        mismatches++;
        mismatchAt = r.seq;
        break;
      }
      agreed.push({ seq: r.entry.seq, payload: step.produced.payload });
      agreements++;
    }
    guest = step.guest;
    next++;
    applied++;
  }
  const early = mismatchAt === 0 ? fresh.slice(i, i + c.reorderMax) : [];
  const stats = { ...c.stats, applied, duplicates: c.stats.duplicates + repeats, agreements, mismatches };
  return { guest, next, early, agreed, mismatchAt, stats };
}

export function ack(c: Ctx, done = false): Out {
  return lsend(c.primary, { type: 'lsp.ack', received: c.next - 1, agreed: c.agreed, done });
}

/**
 * A log message taken while following: what comes next is applied, agreed outputs the primary says it dispatched
 * are forgotten, and the secondary is done once nothing can be owed (the halted log applied, every output out).
 */
export function takeLog(c: Ctx, event: LogEv): Ctx {
  const dispatched = Math.max(c.dispatched, event.dispatched);
  const next = { ...c, ...followRecords(c, event.records) };
  const agreed = notDispatched(next.agreed, dispatched);
  const done = next.mismatchAt === 0 && event.halted && next.next === event.end && agreed.length === 0;
  return { ...next, agreed, dispatched, done };
}

export function notDispatched(agreed: readonly AgreedOutput[], dispatched: number): AgreedOutput[] {
  return agreed.filter((a) => a.seq > dispatched);
}

export const lockstepSecondaryMachine = setup({
  types: {
    context: {} as LockstepSecondaryContext,
    events: {} as LockstepSecondaryEvent,
    input: {} as LockstepSecondaryInput,
    emitted: {} as Out,
  },
  actions: {
    armPeer: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(SECONDARY_PEER_TIMER_ID);
      enqueue.raise({ type: 'lss.peerLost' }, { id: SECONDARY_PEER_TIMER_ID, delay: c.peerTimeoutUs });
    }),
    armSlice: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(SECONDARY_SLICE_TIMER_ID);
      enqueue.raise({ type: 'lss.slice' }, { id: SECONDARY_SLICE_TIMER_ID, delay: c.sliceUs });
    }),
    // Apply what comes next, then acknowledge it with the outputs agreed on (unless an output differed).
    followLog: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.log');
      const next = takeLog(c, event);
      enqueue.assign(next);
      if (next.mismatchAt === 0) enqueue.emit(ack(next, next.done));
    }),
    noteDispatched: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.log');
      const dispatched = Math.max(c.dispatched, event.dispatched);
      enqueue.assign({ dispatched, agreed: notDispatched(c.agreed, dispatched) });
    }),
    askResync: enqueueActions(({ context: c, enqueue }) => {
      const id = c.resyncId + 1;
      enqueue.assign({ resyncId: id, resyncWait: 0 });
      enqueue.emit(lsend(c.primary, { type: 'lsp.resync', id, at: c.mismatchAt }));
    }),
    // The request or the state may have been lost: after `resendSlices` log messages it goes out again (same number).
    repeatResync: enqueueActions(({ context: c, enqueue }) => {
      const due = c.resyncWait + 1 >= c.resendSlices;
      enqueue.assign({ resyncWait: due ? 0 : c.resyncWait + 1 });
      if (due) enqueue.emit(lsend(c.primary, { type: 'lsp.resync', id: c.resyncId, at: c.mismatchAt }));
    }),
    // The primary's state replaces the diverged one; the outputs it holds are covered by it, so agreed with it.
    install: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.state');
      const dispatched = Math.max(c.dispatched, event.dispatched);
      const agreed = notDispatched(event.held, dispatched);
      const stats = {
        ...c.stats,
        installs: c.stats.installs + 1,
        stateBytes: c.stats.stateBytes + stateBytes(event.guest, event.held),
      };
      const next = {
        ...c,
        guest: event.guest,
        next: event.nextSeq,
        early: [],
        agreed,
        dispatched,
        mismatchAt: 0,
        stats,
      };
      enqueue.assign(next);
      enqueue.emit(ack(next));
    }),
    disarmPeer: enqueueActions(({ enqueue }) => enqueue.cancel(SECONDARY_PEER_TIMER_ID)),
    ackDone: enqueueActions(({ context: c, enqueue }) => enqueue.emit(ack(c, true))),
    injectDivergence: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.inject');
      const stats = { ...c.stats, injections: c.stats.injections + 1 };
      enqueue.assign({ guest: inject(c.guest, event.kind, event.word, event.mask), stats });
    }),
    // Live from the end of the log it has applied: first the agreed outputs the primary may not have dispatched.
    goLive: enqueueActions(({ context: c, enqueue }) => {
      const out = notDispatched(c.agreed, c.dispatched);
      for (const o of out) {
        enqueue.emit(lsend(c.client, { type: 'client.output', seq: o.seq, payload: o.payload, replyTo: c.self }));
      }
      enqueue.assign({ agreed: [], dispatched: out[out.length - 1]?.seq ?? c.dispatched });
    }),
    queueInput: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lockstep.input');
      if (c.inputs.length < c.inputQueueMax) enqueue.assign({ inputs: [...c.inputs, event.value] });
      else enqueue.assign({ stats: { ...c.stats, inputsDropped: c.stats.inputsDropped + 1 } });
    }),
    // A live slice ends on the primary's slice boundary; its timer device fires where a slice starts.
    runLive: enqueueActions(({ context: c, enqueue }) => {
      const slice = Math.floor(c.guest.icount / c.sliceInstructions);
      const vector = c.guest.icount % c.sliceInstructions === 0 ? timerVector(slice, c.irqEverySlices) : null;
      const todo = (slice + 1) * c.sliceInstructions - c.guest.icount;
      const run = runSlice(c.guest, c.prog, todo, c.inputs, vector);
      for (const o of run.outputs) {
        enqueue.emit(lsend(c.client, { type: 'client.output', seq: o.seq, payload: o.payload, replyTo: c.self }));
      }
      const dispatched = run.outputs[run.outputs.length - 1]?.seq ?? c.dispatched;
      const stats = { ...c.stats, liveOutputs: c.stats.liveOutputs + run.outputs.length };
      enqueue.assign({ guest: run.guest, inputs: [], dispatched, stats });
    }),
  },
  guards: {
    hasMismatch: ({ context: c }) => c.mismatchAt !== 0,
    isDone: ({ context: c }) => c.done,
    isGuestHalted: ({ context: c }) => c.guest.icount >= c.slices * c.sliceInstructions,
    isAnswer: ({ context: c, event }) => event.type === 'lss.state' && event.id === c.resyncId,
  },
}).createMachine({
  id: 'lockstepSecondary',
  context: ({ input }) => ({
    ...input,
    guest: initialGuest(input.seed),
    next: 1,
    early: [],
    agreed: [],
    dispatched: 0,
    done: false,
    mismatchAt: 0,
    resyncId: 0,
    resyncWait: 0,
    inputs: [],
    stats: {
      ...{ applied: 0, duplicates: 0, agreements: 0, mismatches: 0, installs: 0, stateBytes: 0 },
      ...{ injections: 0, liveOutputs: 0, inputsDropped: 0 },
    },
  }),
  initial: 'following',
  entry: 'armPeer',
  states: {
    following: {
      always: [
        { guard: 'hasMismatch', target: 'resyncing' },
        { guard: 'isDone', target: 'done' },
      ],
      on: {
        'lss.log': { actions: ['followLog', 'armPeer'] },
        'lss.inject': { actions: 'injectDivergence' },
        'lss.peerLost': { target: 'live' },
      },
    },
    // Waiting for the primary's state; a stale answer (an earlier request's, or a late duplicate) is ignored.
    resyncing: {
      entry: 'askResync',
      on: {
        'lss.log': { actions: ['noteDispatched', 'repeatResync', 'armPeer'] },
        'lss.state': { guard: 'isAnswer', target: 'following', actions: 'install' },
        'lss.inject': { actions: 'injectDivergence' },
        'lss.peerLost': { target: 'live' },
      },
    },
    // The primary's halted guest is fully replayed: nothing can fail over any more; heartbeats are still answered.
    done: {
      entry: 'disarmPeer',
      on: { 'lss.log': { actions: 'ackDone' } },
    },
    // Failover: the primary is gone; the secondary's guest is now the one the outside world talks to.
    live: {
      entry: ['goLive', 'armSlice'],
      on: {
        'lss.slice': [{ guard: 'isGuestHalted', target: 'halted' }, { actions: ['runLive', 'armSlice'] }],
        'lockstep.input': { actions: 'queueInput' },
      },
    },
    // The live guest has halted too: the run is over for this host.
    halted: {},
  },
});

/** Sample events for tests and test generation. */
export const lockstepSecondarySampleEvents: readonly LockstepSecondaryEvent[] = [
  { type: 'lss.log', records: [], dispatched: 0, end: 1, halted: false },
  {
    type: 'lss.log',
    records: [{ seq: 1, entry: { kind: 'irq', at: 0, vector: 32 } }],
    dispatched: 0,
    end: 2,
    halted: false,
  },
  { type: 'lss.log', records: [], dispatched: 0, end: 1, halted: true },
  { type: 'lss.inject', kind: 'stats', word: 1, mask: 0xff },
  { type: 'lss.inject', kind: 'data', word: 0, mask: 0xff },
  { type: 'lss.state', id: 1, guest: initialGuest(1), nextSeq: 1, held: [], dispatched: 0 },
  { type: 'lss.peerLost' },
  { type: 'lss.slice' },
  { type: 'lockstep.input', value: 7 },
];
