// The server half of the kernel's demo protocol: echoes every ping back to its sender, counting duplicates.
// Idempotent on purpose: a lossy, duplicating link makes it see the same ping more than once.

import { assign, emit, setup } from 'xstate';

export interface PongerContext {
  readonly echoedCount: number;
  /** Highest ping sequence number seen so far. */
  readonly highestSeq: number;
  /** Pings whose seq was not above the highest seen: retransmits or link duplicates. */
  readonly repeatCount: number;
}

export type PongerEvent = { type: 'ping.echo'; seq: number; replyTo: string } | { type: 'ponger.stop' };

export const pongerMachine = setup({
  types: {
    context: {} as PongerContext,
    events: {} as PongerEvent,
    emitted: {} as { type: 'send'; to: string; event: { type: 'ping.echoed'; seq: number } },
  },
  actions: {
    reply: emit(({ event }) => {
      const ping = event as Extract<PongerEvent, { type: 'ping.echo' }>;
      return { type: 'send' as const, to: ping.replyTo, event: { type: 'ping.echoed' as const, seq: ping.seq } };
    }),
    recordNew: assign({
      echoedCount: ({ context }) => context.echoedCount + 1,
      highestSeq: ({ event, context }) => (event.type === 'ping.echo' ? event.seq : context.highestSeq),
    }),
    recordRepeat: assign({
      echoedCount: ({ context }) => context.echoedCount + 1,
      repeatCount: ({ context }) => context.repeatCount + 1,
    }),
  },
  guards: {
    isNewPing: ({ context, event }) => event.type === 'ping.echo' && event.seq > context.highestSeq,
  },
}).createMachine({
  id: 'ponger',
  context: { echoedCount: 0, highestSeq: 0, repeatCount: 0 },
  initial: 'serving',
  states: {
    serving: {
      on: {
        'ping.echo': [{ guard: 'isNewPing', actions: ['reply', 'recordNew'] }, { actions: ['reply', 'recordRepeat'] }],
        'ponger.stop': 'stopped',
      },
    },
    stopped: { type: 'final' },
  },
});

export const pongerSampleEvents: readonly PongerEvent[] = [
  { type: 'ping.echo', seq: 1, replyTo: 'hostA/pinger' },
  { type: 'ping.echo', seq: 2, replyTo: 'hostA/pinger' },
  { type: 'ping.echo', seq: 1, replyTo: 'hostA/pinger' },
  { type: 'ponger.stop' },
];
