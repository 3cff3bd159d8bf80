// The workload of one ballooned VM's guest (M10): it keeps reading and writing its pages, zeroing some, while the
// hypervisor sweeps, so writes race the sweep. One access is outstanding at a time; stalls the hypervisor reports
// (protection faults, demand-zero fills) are waited out on the vCPU, and denied writes are counted as guest OOMs.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type GuestMix, guestOp } from '../dataplane/balloon.js';
import type { BalloonGuestEvent, BalloonSend, VmMemoryEvent } from './balloonEvents.js';

export interface BalloonGuestInput extends GuestMix {
  readonly memory: string;
  /** Accesses in all, then the guest halts. */
  readonly ops: number;
  /** Virtual time between one access's answer and the next access (µs); the first comes after `startUs`. */
  readonly opGapUs: number;
  readonly startUs: number;
}

export interface BalloonGuestContext extends BalloonGuestInput {
  readonly done: number;
  readonly stats: {
    readonly reads: number;
    readonly writes: number;
    readonly zeroWrites: number;
    readonly stalledUs: number;
    readonly faults: number;
    readonly queued: number;
    readonly oom: number;
  };
}

export const BGUEST_NEXT_TIMER_ID = 'bguest.next';

export const balloonGuestMachine = setup({
  types: {
    context: {} as BalloonGuestContext,
    events: {} as BalloonGuestEvent,
    input: {} as BalloonGuestInput,
    emitted: {} as BalloonSend<VmMemoryEvent>,
  },
  actions: {
    armFirst: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(BGUEST_NEXT_TIMER_ID);
      enqueue.raise({ type: 'bguest.next' }, { id: BGUEST_NEXT_TIMER_ID, delay: c.startUs });
    }),
    access: enqueueActions(({ context: c, enqueue }) => {
      const op = guestOp(c, c.done);
      const st = c.stats;
      if (op.kind === 'read') {
        enqueue.assign({ stats: { ...st, reads: st.reads + 1 } });
        enqueue.emit({ type: 'send', to: c.memory, event: { type: 'vmm.read', gfn: op.gfn } });
        return;
      }
      const zero = op.value === 0 ? 1 : 0;
      enqueue.assign({ stats: { ...st, writes: st.writes + 1, zeroWrites: st.zeroWrites + zero } });
      const { gfn, offset, length, value } = op;
      enqueue.emit({ type: 'send', to: c.memory, event: { type: 'vmm.write', gfn, offset, length, value } });
    }),
    // The answer is in: the vCPU waits out what the hypervisor charged it, then the gap, then accesses again.
    answered: enqueueActions(({ context: c, event, enqueue }) => {
      const st = c.stats;
      let stallUs = 0;
      let stats = st;
      if (event.type === 'bguest.written') {
        stallUs = event.stallUs;
        stats = {
          ...st,
          stalledUs: st.stalledUs + stallUs,
          faults: st.faults + (event.applied && event.stallUs > 0 && !event.queued ? 1 : 0),
          queued: st.queued + (event.queued ? 1 : 0),
          oom: st.oom + (event.applied ? 0 : 1),
        };
      } else assertEvent(event, 'bguest.readDone');
      enqueue.assign({ done: c.done + 1, stats });
      enqueue.cancel(BGUEST_NEXT_TIMER_ID);
      enqueue.raise({ type: 'bguest.next' }, { id: BGUEST_NEXT_TIMER_ID, delay: stallUs + c.opGapUs });
    }),
  },
  guards: {
    isFinished: ({ context: c }) => c.done >= c.ops,
  },
}).createMachine({
  id: 'balloonGuest',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    done: 0,
    stats: { reads: 0, writes: 0, zeroWrites: 0, stalledUs: 0, faults: 0, queued: 0, oom: 0 },
  }),
  initial: 'resting',
  states: {
    resting: {
      entry: 'armFirst',
      on: {
        'bguest.next': [
          { guard: 'isFinished', target: 'halted' },
          { target: 'waiting', actions: 'access' },
        ],
      },
    },
    waiting: {
      on: {
        'bguest.written': { target: 'pausing', actions: 'answered' },
        'bguest.readDone': { target: 'pausing', actions: 'answered' },
      },
    },
    pausing: {
      on: {
        'bguest.next': [
          { guard: 'isFinished', target: 'halted' },
          { target: 'waiting', actions: 'access' },
        ],
      },
    },
    halted: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const balloonGuestSampleEvents: readonly BalloonGuestEvent[] = [
  { type: 'bguest.next' },
  { type: 'bguest.written', gfn: 1, offset: 0, length: 2, value: 5, applied: true, stallUs: 2, queued: false },
  { type: 'bguest.next' },
  { type: 'bguest.readDone', gfn: 0, bytes: new Uint8Array(4) },
];
