// The balloon driver in a VM's guest (M10): on an inflate command from the management plane it asks the hypervisor
// for a zero-page sweep, reports the result until the manager acks it (bounded), and gives the balloon back on deflate.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import {
  type BalloonDriverEvent,
  type BalloonManagerEvent,
  type BalloonSend,
  bsend,
  type VmMemoryEvent,
} from './balloonEvents.js';

export interface BalloonDriverInput {
  readonly vm: number;
  readonly manager: string;
  readonly memory: string;
  /** The VM's pages: a larger target is refused. */
  readonly pages: number;
  /** Resend the result this often until acked, at most `maxRetransmits` times (µs). */
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
}

export interface BalloonDriverContext extends BalloonDriverInput {
  readonly targetPages: number;
  readonly reclaimedPages: number;
  readonly superPages: number;
  readonly retransmits: number;
  /** Why the last inflation was refused, '' when none was. */
  readonly refusal: string;
}

type Emitted = BalloonSend<BalloonManagerEvent | VmMemoryEvent>;

export const BALLOON_RETRANSMIT_TIMER_ID = 'balloon.retransmit';

function resultOf(c: BalloonDriverContext): BalloonManagerEvent {
  return { type: 'mgr.inflated', vm: c.vm, reclaimedPages: c.reclaimedPages, superPages: c.superPages };
}

export const balloonDriverMachine = setup({
  types: {
    context: {} as BalloonDriverContext,
    events: {} as BalloonDriverEvent,
    input: {} as BalloonDriverInput,
    emitted: {} as Emitted,
  },
  actions: {
    takeTarget: assign(({ event }) => {
      assertEvent(event, 'balloon.inflate');
      return { targetPages: event.targetPages, retransmits: 0, refusal: '' };
    }),
    askSweep: emit(({ context: c }) => bsend(c.memory, { type: 'vmm.sweep' as const, targetPages: c.targetPages })),
    refuseTarget: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'balloon.inflate');
      const reason = `target ${event.targetPages} pages is not within the VM's ${c.pages} pages`;
      enqueue.assign({ refusal: reason });
      enqueue.emit(bsend(c.manager, { type: 'mgr.refused', vm: c.vm, reason }));
    }),
    reportRefusal: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'balloon.sweepRefused');
      enqueue.assign({ refusal: event.reason });
      enqueue.emit(bsend(c.manager, { type: 'mgr.refused', vm: c.vm, reason: event.reason }));
    }),
    takeResult: assign(({ event }) => {
      assertEvent(event, 'balloon.swept');
      return { reclaimedPages: event.reclaimedPages, superPages: event.superPages };
    }),
    reportResult: emit(({ context: c }) => bsend(c.manager, resultOf(c))),
    // A repeat for a lost result or ack: on the retransmit timer, and on a repeated inflate command.
    repeatResult: emit(({ context: c }) => bsend(c.manager, resultOf(c))),
    armRetransmit: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(BALLOON_RETRANSMIT_TIMER_ID);
      enqueue.raise({ type: 'balloon.retransmit' }, { id: BALLOON_RETRANSMIT_TIMER_ID, delay: c.retransmitUs });
    }),
    countRetransmit: assign({ retransmits: ({ context }) => context.retransmits + 1 }),
    stopRetransmit: enqueueActions(({ enqueue }) => enqueue.cancel(BALLOON_RETRANSMIT_TIMER_ID)),
    askDeflate: emit(({ context: c }) => bsend(c.memory, { type: 'vmm.deflate' as const })),
    clearBalloon: assign({ targetPages: 0, reclaimedPages: 0, superPages: 0 }),
  },
  guards: {
    isTargetValid: ({ context: c, event }) =>
      event.type === 'balloon.inflate' &&
      Number.isInteger(event.targetPages) &&
      event.targetPages >= 0 &&
      event.targetPages <= c.pages,
    mayRetransmit: ({ context: c }) => c.retransmits < c.maxRetransmits,
  },
}).createMachine({
  id: 'balloonDriver',
  context: ({ input }) => ({
    ...input,
    targetPages: 0,
    reclaimedPages: 0,
    superPages: 0,
    retransmits: 0,
    refusal: '',
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        'balloon.inflate': [
          { guard: 'isTargetValid', target: 'inflating', actions: 'takeTarget' },
          { actions: 'refuseTarget' },
        ],
      },
    },
    inflating: {
      entry: 'askSweep',
      on: {
        'balloon.sweepStarted': 'sweeping',
        'balloon.sweepRefused': { target: 'idle', actions: 'reportRefusal' },
      },
    },
    sweeping: {
      on: { 'balloon.swept': { target: 'completing', actions: 'takeResult' } },
    },
    completing: {
      entry: ['reportResult', 'armRetransmit'],
      on: {
        'balloon.resultAcked': { target: 'inflated', actions: 'stopRetransmit' },
        'balloon.retransmit': [
          { guard: 'mayRetransmit', actions: ['countRetransmit', 'repeatResult', 'armRetransmit'] },
          // Out of retries: the result stands; a repeated inflate command still gets it.
          { target: 'inflated' },
        ],
        'balloon.inflate': { actions: 'repeatResult' },
      },
    },
    inflated: {
      on: {
        'balloon.inflate': { actions: 'repeatResult' },
        'balloon.resultAcked': {},
        'balloon.deflate': 'deflating',
      },
    },
    deflating: {
      entry: 'askDeflate',
      on: { 'balloon.deflated': { target: 'idle', actions: 'clearBalloon' } },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads (a VM of ≥ 4 pages). */
export const balloonDriverSampleEvents: readonly BalloonDriverEvent[] = [
  { type: 'balloon.inflate', targetPages: 4 },
  { type: 'balloon.sweepStarted' },
  { type: 'balloon.swept', reclaimedPages: 3, superPages: 1 },
  { type: 'balloon.retransmit' },
  { type: 'balloon.resultAcked' },
  { type: 'balloon.deflate' },
  { type: 'balloon.deflated' },
  { type: 'balloon.sweepRefused', reason: 'a sweep is already running' },
];
