// The outside world of quasi-lockstep FT (M5): a client that sends inputs to the live side and takes its outputs
// in order, once each, as TCP would (a repeat of an accepted sequence number is dropped; the specs judge the rest).

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { LockstepClientEvent, LockstepInput, LockstepSend } from './lockstepEvents.js';

export interface LockstepClientInput {
  /** Where inputs go first (the primary); each output names the side that sent it, and inputs follow it. */
  readonly target: string;
  readonly inputs: number;
  readonly inputStartUs: number;
  readonly inputEveryUs: number;
}

export interface LockstepClientContext extends LockstepClientInput {
  readonly sent: number;
  /** The next output sequence number the client takes. */
  readonly next: number;
  readonly stats: { readonly accepted: number; readonly repeats: number; readonly outOfOrder: number };
}

type Out = LockstepSend<LockstepInput>;

export const CLIENT_TICK_TIMER_ID = 'client.tick';

/** The value of the client's `n`-th input (a request id, say): any number, the guest just has to take it. */
export function inputValue(n: number): number {
  return Math.imul(n + 1, 0x9e37_79b1) >>> 0;
}

export const lockstepClientMachine = setup({
  types: {
    context: {} as LockstepClientContext,
    events: {} as LockstepClientEvent,
    input: {} as LockstepClientInput,
    emitted: {} as Out,
  },
  actions: {
    armFirst: enqueueActions(({ context: c, enqueue }) => {
      // `> 0`, not `=== 0`: XState's initialTransition() first builds a throwaway actor with no input, and an
      // undefined delay would make this raise immediate, looping through sendInput for ever.
      if (!(c.inputs > 0)) return;
      enqueue.raise({ type: 'client.tick' }, { id: CLIENT_TICK_TIMER_ID, delay: c.inputStartUs });
    }),
    sendInput: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit({ type: 'send', to: c.target, event: { type: 'lockstep.input', value: inputValue(c.sent) } });
      enqueue.assign({ sent: c.sent + 1 });
      if (c.sent + 1 >= c.inputs) return;
      enqueue.cancel(CLIENT_TICK_TIMER_ID);
      enqueue.raise({ type: 'client.tick' }, { id: CLIENT_TICK_TIMER_ID, delay: c.inputEveryUs });
    }),
    takeOutput: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'client.output');
      const s = c.stats;
      if (event.seq === c.next) {
        enqueue.assign({ next: c.next + 1, target: event.replyTo, stats: { ...s, accepted: s.accepted + 1 } });
      } else if (event.seq < c.next) {
        enqueue.assign({ stats: { ...s, repeats: s.repeats + 1 } });
      } else {
        enqueue.assign({ stats: { ...s, outOfOrder: s.outOfOrder + 1 } });
      }
    }),
  },
}).createMachine({
  id: 'lockstepClient',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({ ...input, sent: 0, next: 1, stats: { accepted: 0, repeats: 0, outOfOrder: 0 } }),
  entry: 'armFirst',
  on: {
    'client.tick': { actions: 'sendInput' },
    'client.output': { actions: 'takeOutput' },
  },
});

/** Sample events for tests and test generation. */
export const lockstepClientSampleEvents: readonly LockstepClientEvent[] = [
  { type: 'client.tick' },
  { type: 'client.output', seq: 1, payload: 5, replyTo: 'primary/ft' },
  { type: 'client.output', seq: 1, payload: 5, replyTo: 'secondary/ft' },
  { type: 'client.output', seq: 3, payload: 9, replyTo: 'primary/ft' },
];
