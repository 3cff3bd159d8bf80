// The checkpoint coordinator of output commit (M1, Remus): it ends each epoch on its timer (plug the buffer, save to
// the backup), turns the first ack of an epoch into a release, and resends unacked saves a bounded number of times.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { BufferPlug, BufferRelease, CkptSave, PlugCoordinatorEvent, PlugSend } from './plugEvents.js';
import { plugSend } from './plugEvents.js';

export interface PlugCoordinatorInput {
  readonly buffer: string;
  readonly backup: string;
  /** Epochs the coordinator ends (and saves); it stops ending epochs after the last. */
  readonly epochs: number;
  readonly epochUs: number;
  /** Resend saves still unacknowledged this long after the retry timer was armed (µs). */
  readonly retryUs: number;
  /** Resends per epoch at most. */
  readonly maxRetries: number;
}

export interface PlugCoordinatorContext extends PlugCoordinatorInput {
  /** The epoch the buffer is collecting; epochs below it have been saved. */
  readonly openEpoch: number;
  /** Per epoch (index e-1): an ack for it has arrived. */
  readonly acked: readonly boolean[];
  /** Per epoch (index e-1): resends of its save so far. */
  readonly retries: readonly number[];
  readonly retryArmed: boolean;
  readonly stats: {
    readonly saves: number;
    readonly resends: number;
    readonly acks: number;
    readonly repeatAcks: number;
    readonly releases: number;
  };
}

type Emitted = PlugSend<BufferPlug | BufferRelease | CkptSave>;

export const COORDINATOR_EPOCH_TIMER_ID = 'coordinator.epoch';
export const COORDINATOR_RETRY_TIMER_ID = 'coordinator.retry';

/** The highest epoch acknowledged (0: none): a save is cumulative, so it covers every epoch below it too. */
export function coveredEpoch(c: PlugCoordinatorContext): number {
  return c.acked.lastIndexOf(true) + 1;
}

/** Saved epochs no ack covers yet that may still be resent. */
export function resendable(c: PlugCoordinatorContext): number[] {
  const out: number[] = [];
  for (let e = coveredEpoch(c) + 1; e < c.openEpoch; e++) if ((c.retries[e - 1] as number) < c.maxRetries) out.push(e);
  return out;
}

export const plugCoordinatorMachine = setup({
  types: {
    context: {} as PlugCoordinatorContext,
    events: {} as PlugCoordinatorEvent,
    input: {} as PlugCoordinatorInput,
    emitted: {} as Emitted,
  },
  actions: {
    armEpoch: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(COORDINATOR_EPOCH_TIMER_ID);
      enqueue.raise({ type: 'coordinator.epochDue' }, { id: COORDINATOR_EPOCH_TIMER_ID, delay: c.epochUs });
    }),
    endEpoch: enqueueActions(({ context: c, enqueue }) => {
      const e = c.openEpoch;
      // Plug first: from here on the guest's outputs belong to e+1, whatever happens to the save of e.
      enqueue.emit(plugSend(c.buffer, { type: 'buffer.plug', epoch: e + 1 }));
      enqueue.emit(plugSend(c.backup, { type: 'ckpt.save', epoch: e }));
      enqueue.assign({ openEpoch: e + 1, stats: { ...c.stats, saves: c.stats.saves + 1 } });
      if (!c.retryArmed && c.maxRetries > 0) {
        enqueue.cancel(COORDINATOR_RETRY_TIMER_ID);
        enqueue.raise({ type: 'coordinator.retryDue' }, { id: COORDINATOR_RETRY_TIMER_ID, delay: c.retryUs });
        enqueue.assign({ retryArmed: true });
      }
    }),
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckpt.ack');
      const e = event.epoch;
      if (!Number.isSafeInteger(e) || e < 1 || e >= c.openEpoch) {
        throw new Error(`plugCoordinator: ack of epoch ${e}, but only epochs 1..${c.openEpoch - 1} were saved`);
      }
      const s = c.stats;
      if (c.acked[e - 1] === true) {
        enqueue.assign({ stats: { ...s, acks: s.acks + 1, repeatAcks: s.repeatAcks + 1 } });
        return;
      }
      const acked = c.acked.slice();
      acked[e - 1] = true;
      enqueue.emit(plugSend(c.buffer, { type: 'buffer.release', epoch: e }));
      enqueue.assign({ acked, stats: { ...s, acks: s.acks + 1, releases: s.releases + 1 } });
    }),
    resendSaves: enqueueActions(({ context: c, enqueue }) => {
      const due = resendable(c);
      const retries = c.retries.slice();
      for (const e of due) {
        enqueue.emit(plugSend(c.backup, { type: 'ckpt.save', epoch: e }));
        retries[e - 1] = (retries[e - 1] as number) + 1;
      }
      const next = { ...c, retries };
      // Keep the timer only while some save may still be resent: the retry budget bounds the run.
      const again = resendable(next).length > 0;
      if (again) enqueue.cancel(COORDINATOR_RETRY_TIMER_ID);
      if (again) enqueue.raise({ type: 'coordinator.retryDue' }, { id: COORDINATOR_RETRY_TIMER_ID, delay: c.retryUs });
      enqueue.assign({
        retries,
        retryArmed: again,
        stats: { ...c.stats, resends: c.stats.resends + due.length },
      });
    }),
  },
  guards: {
    isLastEpoch: ({ context: c }) => c.openEpoch >= c.epochs,
  },
}).createMachine({
  id: 'plugCoordinator',
  context: ({ input }) => {
    if (input.epochs < 1 || input.epochUs < 1 || input.retryUs < 1 || input.maxRetries < 0) {
      throw new Error('plugCoordinator: epochs, epochUs and retryUs must be >= 1, maxRetries >= 0');
    }
    return {
      ...input,
      openEpoch: 1,
      acked: Array.from({ length: input.epochs }, () => false),
      retries: Array.from({ length: input.epochs }, () => 0),
      retryArmed: false,
      stats: { saves: 0, resends: 0, acks: 0, repeatAcks: 0, releases: 0 },
    };
  },
  initial: 'running',
  on: {
    'ckpt.ack': { actions: 'takeAck' },
    'coordinator.retryDue': { actions: 'resendSaves' },
  },
  states: {
    running: {
      entry: 'armEpoch',
      on: {
        'coordinator.epochDue': [
          { guard: 'isLastEpoch', target: 'settling', actions: 'endEpoch' },
          { actions: ['endEpoch', 'armEpoch'] },
        ],
      },
    },
    // Every epoch has ended; acks and resends still come and go until every save is acked or given up.
    settling: {},
  },
});

export const plugCoordinatorSampleEvents: readonly PlugCoordinatorEvent[] = [
  { type: 'coordinator.epochDue' },
  { type: 'ckpt.ack', epoch: 1 },
  { type: 'coordinator.retryDue' },
  { type: 'ckpt.ack', epoch: 1 },
];
