// The management plane (M10) on its own host: it sends each VM's balloon driver an inflate command across the link,
// resends it to drivers that have not answered (bounded), and acks every result so the drivers stop repeating it.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type BalloonDriverEvent, type BalloonManagerEvent, type BalloonSend, bsend } from './balloonEvents.js';

export interface BalloonManagerInput {
  /** The balloon driver of VM i, by i. */
  readonly drivers: readonly string[];
  readonly targetPages: number;
  readonly inflateAtUs: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
}

/** Per VM: 0 no answer yet, 1 inflated, 2 refused. */
export type Outcome = 0 | 1 | 2;

export interface BalloonManagerContext extends BalloonManagerInput {
  readonly outcome: readonly Outcome[];
  readonly reclaimedPages: readonly number[];
  readonly retransmits: number;
}

export const MGR_INFLATE_TIMER_ID = 'mgr.inflateDue';
export const MGR_RETRANSMIT_TIMER_ID = 'mgr.retransmit';

function driverOf(c: BalloonManagerContext, vm: number): string {
  const d = c.drivers[vm];
  if (d === undefined) throw new Error(`balloonManager: VM ${vm} is not managed (guarded by isManagedVm)`);
  return d;
}

export const balloonManagerMachine = setup({
  types: {
    context: {} as BalloonManagerContext,
    events: {} as BalloonManagerEvent,
    input: {} as BalloonManagerInput,
    emitted: {} as BalloonSend<BalloonDriverEvent>,
  },
  actions: {
    armInflate: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(MGR_INFLATE_TIMER_ID);
      enqueue.raise({ type: 'mgr.inflateDue' }, { id: MGR_INFLATE_TIMER_ID, delay: c.inflateAtUs });
    }),
    // To every driver that has not answered, in VM order; then the retransmit timer.
    sendInflate: enqueueActions(({ context: c, enqueue }) => {
      for (let vm = 0; vm < c.drivers.length; vm++) {
        if (c.outcome[vm] !== 0) continue;
        enqueue.emit(bsend(driverOf(c, vm), { type: 'balloon.inflate', targetPages: c.targetPages }));
      }
      enqueue.cancel(MGR_RETRANSMIT_TIMER_ID);
      enqueue.raise({ type: 'mgr.retransmit' }, { id: MGR_RETRANSMIT_TIMER_ID, delay: c.retransmitUs });
    }),
    countRetransmit: enqueueActions(({ context: c, enqueue }) => enqueue.assign({ retransmits: c.retransmits + 1 })),
    takeInflated: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'mgr.inflated');
      const to = driverOf(c, event.vm);
      enqueue.assign({
        outcome: c.outcome.map((o, vm) => (vm === event.vm ? 1 : o)),
        reclaimedPages: c.reclaimedPages.map((n, vm) => (vm === event.vm ? event.reclaimedPages : n)),
      });
      enqueue.emit(bsend(to, { type: 'balloon.resultAcked' }));
    }),
    takeRefused: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'mgr.refused');
      enqueue.assign({ outcome: c.outcome.map((o, vm) => (vm === event.vm ? 2 : o)) });
    }),
    stopRetransmit: enqueueActions(({ enqueue }) => enqueue.cancel(MGR_RETRANSMIT_TIMER_ID)),
  },
  guards: {
    isManagedVm: ({ context: c, event }) =>
      (event.type === 'mgr.inflated' || event.type === 'mgr.refused') && c.drivers[event.vm] !== undefined,
    isAllAnswered: ({ context: c }) => c.outcome.every((o) => o !== 0),
    mayRetransmit: ({ context: c }) => c.retransmits < c.maxRetransmits,
  },
}).createMachine({
  id: 'balloonManager',
  context: ({ input }) => ({
    ...input,
    outcome: input.drivers.map(() => 0 as Outcome),
    reclaimedPages: input.drivers.map(() => 0),
    retransmits: 0,
  }),
  initial: 'waiting',
  on: {
    // An answer naming a VM it does not manage cannot come from its drivers: it is not taken.
    'mgr.inflated': { guard: 'isManagedVm', actions: 'takeInflated' },
    'mgr.refused': { guard: 'isManagedVm', actions: 'takeRefused' },
  },
  states: {
    waiting: {
      entry: 'armInflate',
      on: { 'mgr.inflateDue': { target: 'inflating', actions: 'sendInflate' } },
    },
    inflating: {
      always: { guard: 'isAllAnswered', target: 'done', actions: 'stopRetransmit' },
      on: {
        'mgr.retransmit': [
          { guard: 'mayRetransmit', actions: ['countRetransmit', 'sendInflate'] },
          { target: 'gaveUp' },
        ],
      },
    },
    done: {},
    // Not final: a late answer is still taken (and acked), but nothing more is sent.
    gaveUp: {},
  },
});

/** Sample events for tests and test generation (a manager of two VMs). */
export const balloonManagerSampleEvents: readonly BalloonManagerEvent[] = [
  { type: 'mgr.inflateDue' },
  { type: 'mgr.retransmit' },
  { type: 'mgr.inflated', vm: 0, reclaimedPages: 3, superPages: 1 },
  { type: 'mgr.refused', vm: 1, reason: 'a sweep is already running' },
];
