// The guest workload of tagged memory (M14): it writes its private pages through tagged addresses and its shared
// pages through plain ones, reads them back with the same tag, and snoops with the other; one access at a time.

import { enqueueActions, setup } from 'xstate';
import { type CryptPlanShape, guestCryptOp, patternBytes } from '../dataplane/crypt.js';
import type { CryptGuestEvent, CryptSend, MemCryptEvent } from './cryptEvents.js';

export interface CryptGuestInput extends CryptPlanShape {
  readonly memory: string;
  readonly ops: number;
  readonly opGapUs: number;
  readonly startUs: number;
}

export interface CryptGuestContext extends CryptGuestInput {
  readonly done: number;
  readonly stats: { readonly writes: number; readonly reads: number; readonly bytes: number };
}

export const CGUEST_TIMER_ID = 'cguest.next';

export const cryptGuestMachine = setup({
  types: {
    context: {} as CryptGuestContext,
    events: {} as CryptGuestEvent,
    input: {} as CryptGuestInput,
    emitted: {} as CryptSend<MemCryptEvent>,
  },
  actions: {
    arm: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(CGUEST_TIMER_ID);
      enqueue.raise({ type: 'cguest.next' }, { id: CGUEST_TIMER_ID, delay: c.done === 0 ? c.startUs : c.opGapUs });
    }),
    access: enqueueActions(({ context: c, enqueue }) => {
      const op = guestCryptOp(c, c.done);
      const id = c.done;
      if (op.kind === 'write') {
        const data = patternBytes(op.length, op.value);
        enqueue.emit({ type: 'send', to: c.memory, event: { type: 'mem.write', id, pa: op.pa, data } });
      } else {
        enqueue.emit({ type: 'send', to: c.memory, event: { type: 'mem.read', id, pa: op.pa, length: op.length } });
      }
    }),
    answered: enqueueActions(({ context: c, event, enqueue }) => {
      const s = c.stats;
      const read = event.type === 'cguest.readDone';
      const bytes = read ? event.data.length : 0;
      const stats = { writes: s.writes + (read ? 0 : 1), reads: s.reads + (read ? 1 : 0), bytes: s.bytes + bytes };
      enqueue.assign({ done: c.done + 1, stats });
    }),
  },
  guards: {
    isFinished: ({ context: c }) => c.done >= c.ops,
    isCurrent: ({ context: c, event }) => event.type !== 'cguest.next' && event.id === c.done,
  },
}).createMachine({
  id: 'cryptGuest',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({ ...input, done: 0, stats: { writes: 0, reads: 0, bytes: 0 } }),
  initial: 'resting',
  states: {
    resting: {
      entry: 'arm',
      on: {
        'cguest.next': [
          { guard: 'isFinished', target: 'halted' },
          { target: 'waiting', actions: 'access' },
        ],
      },
    },
    waiting: {
      on: {
        'cguest.written': { guard: 'isCurrent', target: 'resting', actions: 'answered' },
        'cguest.readDone': { guard: 'isCurrent', target: 'resting', actions: 'answered' },
      },
    },
    halted: {},
  },
});

/** Sample events for tests and test generation. */
export const cryptGuestSampleEvents: readonly CryptGuestEvent[] = [
  { type: 'cguest.next' },
  { type: 'cguest.written', id: 0, pa: 2 ** 40 + 16 },
  { type: 'cguest.next' },
  { type: 'cguest.readDone', id: 1, pa: 2 ** 40 + 16, data: new Uint8Array(16) },
];
