// A relay station: forwards a token to the next station until its hop budget runs out.
// The kernel's benchmark workload and its simplest multi-actor test; one ring of these is the `relay-ring` scenario.

import { assign, emit, setup } from 'xstate';

export interface RelayInput {
  readonly next: string;
}

export interface RelayContext {
  readonly next: string;
  readonly forwardedCount: number;
  readonly absorbedCount: number;
}

export type RelayEvent = { type: 'relay.forward'; token: number; hopsLeft: number };

export const relayMachine = setup({
  types: {
    context: {} as RelayContext,
    events: {} as RelayEvent,
    input: {} as RelayInput,
    emitted: {} as { type: 'send'; to: string; event: RelayEvent },
  },
  actions: {
    forward: emit(({ context, event }) => ({
      type: 'send' as const,
      to: context.next,
      event: { type: 'relay.forward' as const, token: event.token, hopsLeft: event.hopsLeft - 1 },
    })),
    countForward: assign({ forwardedCount: ({ context }) => context.forwardedCount + 1 }),
    countAbsorb: assign({ absorbedCount: ({ context }) => context.absorbedCount + 1 }),
  },
  guards: {
    hasHopsLeft: ({ event }) => event.hopsLeft > 0,
  },
}).createMachine({
  id: 'relay',
  context: ({ input }) => ({ next: input.next, forwardedCount: 0, absorbedCount: 0 }),
  initial: 'relaying',
  states: {
    relaying: {
      on: {
        'relay.forward': [{ guard: 'hasHopsLeft', actions: ['forward', 'countForward'] }, { actions: 'countAbsorb' }],
      },
    },
  },
});

export const relaySampleEvents: readonly RelayEvent[] = [
  { type: 'relay.forward', token: 1, hopsLeft: 2 },
  { type: 'relay.forward', token: 1, hopsLeft: 0 },
];
