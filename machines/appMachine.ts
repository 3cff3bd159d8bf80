// The application in the outside world that reads each VM's output stream: the end of the line for every packet.
// It only counts what it is handed; the exactly-once spec watches what reaches it, not what it counts.

import { assertEvent, assign, setup } from 'xstate';
import type { AppEvent } from './haEvents.js';

export interface AppContext {
  /** Packets handed over, per VM (key String(vm)). */
  readonly received: Readonly<Record<string, number>>;
}

export const appMachine = setup({
  types: {
    context: {} as AppContext,
    events: {} as AppEvent,
  },
  actions: {
    take: assign({
      received: ({ context, event }) => {
        assertEvent(event, 'app.deliver');
        const key = String(event.vm);
        return { ...context.received, [key]: (context.received[key] ?? 0) + 1 };
      },
    }),
  },
}).createMachine({
  id: 'app',
  context: { received: {} },
  initial: 'reading',
  states: {
    reading: { on: { 'app.deliver': { actions: 'take' } } },
  },
});

/** Sample events for tests and test generation. */
export const appSampleEvents: readonly AppEvent[] = [{ type: 'app.deliver', vm: 0, seq: 1, payload: 7 }];
