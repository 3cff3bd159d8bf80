// The quasi-lockstep primary (M5): it runs the deterministic guest slice by slice, logs every non-deterministic event
// and every output it produces, streams the log to the secondary, and holds each output until the secondary agrees.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type DetGuest, type DetProgram, initialGuest } from '../dataplane/detGuest.js';
import {
  type AgreedOutput,
  type LockstepClientEvent,
  type LockstepPrimaryEvent,
  type LockstepSecondaryEvent,
  type LockstepSend,
  type LogRecord,
  logBytes,
  lsend,
  runSlice,
  stateBytes,
  timerVector,
} from './lockstepEvents.js';

export interface LockstepPrimaryInput {
  readonly self: string;
  readonly secondary: string;
  readonly client: string;
  readonly prog: DetProgram;
  /** The guest's initial state, shared with the secondary (part of the VM image, not an input). */
  readonly seed: number;
  readonly sliceUs: number;
  readonly sliceInstructions: number;
  /** Slices the guest runs, then it halts (the slice timer goes on as the log's heartbeat). */
  readonly slices: number;
  readonly irqEverySlices: number;
  /** Most log records unacknowledged; at the limit the guest is stalled (the log channel is the bottleneck). */
  readonly window: number;
  /** Most outputs held for agreement; at the limit the guest is stalled too. */
  readonly heldMax: number;
  readonly inputQueueMax: number;
  /** Slices after which an unacknowledged record goes out again (each slice's message carries the ones due). */
  readonly resendSlices: number;
  /** Silence from the secondary after which the primary goes on alone (µs). */
  readonly peerTimeoutUs: number;
}

/** A log record the secondary has not acknowledged, and the slice tick it last went out in. */
export interface SentRecord extends LogRecord {
  readonly sentTick: number;
}

/** An output the guest produced, held until the secondary agrees on it. */
export interface HeldOutput extends AgreedOutput {
  readonly agreed: boolean;
}

export interface LockstepPrimaryContext extends LockstepPrimaryInput {
  readonly guest: DetGuest;
  /** Slices the guest has run, and slice ticks so far (the halted guest's ticks are the log's heartbeat). */
  readonly slice: number;
  readonly tick: number;
  readonly nextSeq: number;
  /** Log records the secondary has not acknowledged, in order. */
  readonly log: readonly SentRecord[];
  /** The secondary has applied the whole log of the halted guest: nothing is owed either way. */
  readonly peerDone: boolean;
  readonly held: readonly HeldOutput[];
  /** The last output sequence number dispatched to the outside world. */
  readonly dispatched: number;
  readonly inputs: readonly number[];
  readonly lastResyncId: number;
  readonly stats: {
    readonly slices: number;
    readonly stalls: number;
    readonly records: number;
    readonly logMessages: number;
    readonly logBytes: number;
    readonly outputs: number;
    readonly inputsDropped: number;
    readonly disagreements: number;
    readonly resyncs: number;
    readonly resyncBytes: number;
    readonly dispatchedAlone: number;
  };
}

type Ctx = LockstepPrimaryContext;
type Out = LockstepSend<LockstepSecondaryEvent | LockstepClientEvent>;

export const PRIMARY_SLICE_TIMER_ID = 'lsp.slice';
export const PRIMARY_PEER_TIMER_ID = 'lsp.peer';

function dispatch(c: Ctx, o: AgreedOutput): Out {
  return lsend(c.client, { type: 'client.output', seq: o.seq, payload: o.payload, replyTo: c.self });
}

/** The slice: run the guest unless the log or the held outputs are at their limit; log what it took and made. */
export function primarySlice(c: Ctx): Partial<Ctx> {
  if (c.slice >= c.slices) return {};
  if (c.log.length >= c.window || c.held.length >= c.heldMax)
    return { stats: { ...c.stats, stalls: c.stats.stalls + 1 } };
  const run = runSlice(c.guest, c.prog, c.sliceInstructions, c.inputs, timerVector(c.slice, c.irqEverySlices));
  const records = run.entries.map((entry, i) => ({ seq: c.nextSeq + i, entry, sentTick: -c.resendSlices }));
  const held = run.outputs.map((o) => ({ seq: o.seq, payload: o.payload, agreed: false }));
  return {
    guest: run.guest,
    slice: c.slice + 1,
    nextSeq: c.nextSeq + records.length,
    log: [...c.log, ...records],
    held: [...c.held, ...held],
    inputs: [],
    stats: {
      ...c.stats,
      slices: c.stats.slices + 1,
      records: c.stats.records + records.length,
      outputs: c.stats.outputs + held.length,
    },
  };
}

/** The agreed outputs at the head of the held ones, in order: the ones that may go out now. */
export function releasable(held: readonly HeldOutput[]): number {
  let n = 0;
  while (held[n]?.agreed === true) n++;
  return n;
}

export const lockstepPrimaryMachine = setup({
  types: {
    context: {} as LockstepPrimaryContext,
    events: {} as LockstepPrimaryEvent,
    input: {} as LockstepPrimaryInput,
    emitted: {} as Out,
  },
  actions: {
    armSlice: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(PRIMARY_SLICE_TIMER_ID);
      enqueue.raise({ type: 'lsp.slice' }, { id: PRIMARY_SLICE_TIMER_ID, delay: c.sliceUs });
    }),
    armPeer: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(PRIMARY_PEER_TIMER_ID);
      enqueue.raise({ type: 'lsp.peerLost' }, { id: PRIMARY_PEER_TIMER_ID, delay: c.peerTimeoutUs });
    }),
    queueInput: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lockstep.input');
      if (c.inputs.length < c.inputQueueMax) enqueue.assign({ inputs: [...c.inputs, event.value] });
      else enqueue.assign({ stats: { ...c.stats, inputsDropped: c.stats.inputsDropped + 1 } });
    }),
    // Each slice's message carries the new records and those unacknowledged for `resendSlices`; it is the heartbeat.
    runAndStream: enqueueActions(({ context, enqueue }) => {
      const c = { ...context, ...primarySlice(context), tick: context.tick + 1 };
      const due = (r: SentRecord) => c.tick - r.sentTick >= c.resendSlices;
      const records = c.log.filter(due).map(({ seq, entry }) => ({ seq, entry }));
      const log = c.log.map((r) => (due(r) ? { ...r, sentTick: c.tick } : r));
      const sent = { logMessages: c.stats.logMessages + 1, logBytes: c.stats.logBytes + logBytes(records) };
      enqueue.assign({ ...c, log, stats: { ...c.stats, ...sent } });
      const halted = c.slice >= c.slices;
      const msg = { type: 'lss.log' as const, records, dispatched: c.dispatched, end: c.nextSeq, halted };
      enqueue.emit(lsend(c.secondary, msg));
    }),
    // Alone, an output goes out as soon as the guest produces it: there is nobody left to agree.
    runAlone: enqueueActions(({ context, enqueue }) => {
      const c = { ...context, ...primarySlice(context) };
      for (const o of c.held) enqueue.emit(dispatch(c, o));
      const last = c.held[c.held.length - 1]?.seq ?? c.dispatched;
      const stats = { ...c.stats, dispatchedAlone: c.stats.dispatchedAlone + c.held.length };
      enqueue.assign({ ...c, log: [], held: [], dispatched: last, stats });
    }),
    // Acked records leave the log; agreed outputs are marked; the agreed head of the held ones goes out in order.
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lsp.ack');
      let disagreements = c.stats.disagreements;
      const held = c.held.map((h) => {
        const a = event.agreed.find((x) => x.seq === h.seq);
        if (a === undefined || h.agreed) return h;
        if (a.payload !== h.payload) {
          disagreements++;
          return h;
        }
        return { ...h, agreed: true };
      });
      const n = releasable(held);
      for (const o of held.slice(0, n)) enqueue.emit(dispatch(c, o));
      enqueue.assign({
        log: c.log.filter((r) => r.seq > event.received),
        held: held.slice(n),
        dispatched: held[n - 1]?.seq ?? c.dispatched,
        peerDone: event.done,
        stats: { ...c.stats, disagreements },
      });
    }),
    // Checkpoint resynchronisation: the guest as it is now, the log position it stands at, and what is held.
    sendState: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lsp.resync');
      const held = c.held.map(({ seq, payload }) => ({ seq, payload }));
      const fresh = event.id > c.lastResyncId;
      const bytes = stateBytes(c.guest, held);
      enqueue.assign({
        lastResyncId: Math.max(c.lastResyncId, event.id),
        stats: {
          ...c.stats,
          resyncs: c.stats.resyncs + (fresh ? 1 : 0),
          resyncBytes: c.stats.resyncBytes + bytes,
        },
      });
      const state = { type: 'lss.state' as const, id: event.id, guest: c.guest, nextSeq: c.nextSeq, held };
      enqueue.emit(lsend(c.secondary, { ...state, dispatched: c.dispatched }));
    }),
    // The secondary is gone: every held output goes out now, in order, and the log is dropped.
    releaseAll: enqueueActions(({ context: c, enqueue }) => {
      for (const o of c.held) enqueue.emit(dispatch(c, o));
      const last = c.held[c.held.length - 1]?.seq ?? c.dispatched;
      const stats = { ...c.stats, dispatchedAlone: c.stats.dispatchedAlone + c.held.length };
      enqueue.assign({ log: [], held: [], dispatched: last, stats });
    }),
    disarmPeer: enqueueActions(({ enqueue }) => enqueue.cancel(PRIMARY_PEER_TIMER_ID)),
  },
  guards: {
    isHalted: ({ context: c }) => c.slice >= c.slices,
    isFinished: ({ context: c }) => c.slice >= c.slices && c.peerDone && c.log.length === 0 && c.held.length === 0,
  },
}).createMachine({
  id: 'lockstepPrimary',
  context: ({ input }) => ({
    ...input,
    guest: initialGuest(input.seed),
    slice: 0,
    tick: 0,
    nextSeq: 1,
    log: [],
    peerDone: false,
    held: [],
    dispatched: 0,
    inputs: [],
    lastResyncId: 0,
    stats: {
      ...{ slices: 0, stalls: 0, records: 0, logMessages: 0, logBytes: 0, outputs: 0, inputsDropped: 0 },
      ...{ disagreements: 0, resyncs: 0, resyncBytes: 0, dispatchedAlone: 0 },
    },
  }),
  on: { 'lockstep.input': { actions: 'queueInput' } },
  initial: 'paired',
  states: {
    paired: {
      entry: ['armSlice', 'armPeer'],
      on: {
        'lsp.slice': [{ guard: 'isFinished', target: 'finished' }, { actions: ['runAndStream', 'armSlice'] }],
        'lsp.ack': { actions: ['takeAck', 'armPeer'] },
        'lsp.resync': { actions: ['sendState', 'armPeer'] },
        'lsp.peerLost': { target: 'alone', actions: 'releaseAll' },
      },
    },
    // Secondary lost (VMware FT "goes live"): the guest runs on unprotected; late secondary messages are ignored.
    alone: {
      on: {
        'lsp.slice': [{ guard: 'isHalted', target: 'finished' }, { actions: ['runAlone', 'armSlice'] }],
      },
    },
    // The guest has halted and every output is out: no more slices, no heartbeat owed.
    finished: { entry: 'disarmPeer' },
  },
});

/** Sample events for tests and test generation. */
export const lockstepPrimarySampleEvents: readonly LockstepPrimaryEvent[] = [
  { type: 'lsp.slice' },
  { type: 'lockstep.input', value: 7 },
  { type: 'lsp.ack', received: 1, agreed: [], done: false },
  { type: 'lsp.ack', received: 3, agreed: [{ seq: 1, payload: 0 }], done: false },
  { type: 'lsp.ack', received: 3, agreed: [], done: true },
  { type: 'lsp.resync', id: 1, at: 2 },
  { type: 'lsp.peerLost' },
];
