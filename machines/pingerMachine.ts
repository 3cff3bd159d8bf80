// The client half of the kernel's demo protocol: sends numbered pings, retransmits on timeout, gives up after N tries.
// It exercises every kernel feature a real protocol needs: messages over a lossy link, timers, cancellation, a final state.

import { assign, cancel, emit, raise, setup } from 'xstate';

export interface PingerInput {
  /** Address of the ponger this pinger talks to. */
  readonly peer: string;
  /** This actor's own address, carried in pings so the ponger knows where to reply. */
  readonly self: string;
  readonly pingCount: number;
  readonly timeoutUs: number;
  readonly maxRetries: number;
}

export interface PingerContext {
  readonly peer: string;
  readonly self: string;
  readonly pingCount: number;
  readonly timeoutUs: number;
  readonly maxRetries: number;
  /** Sequence number of the ping in flight (1-based). */
  readonly seq: number;
  /** Retransmissions of the current ping so far. */
  readonly retries: number;
  readonly sentCount: number;
  readonly retransmitCount: number;
  readonly repliedCount: number;
  readonly gaveUpCount: number;
  /** Replies that arrived for an earlier ping (late or duplicated by the link). */
  readonly staleReplyCount: number;
}

export type PingerEvent = { type: 'ping.echoed'; seq: number } | { type: 'ping.timedOut' };

/** Messages a pinger sends: `ping.echo` to its peer. */
export interface PingEcho {
  readonly type: 'ping.echo';
  readonly seq: number;
  readonly replyTo: string;
}

export const PING_TIMER_ID = 'ping.timeout';

export const pingerMachine = setup({
  types: {
    context: {} as PingerContext,
    events: {} as PingerEvent,
    input: {} as PingerInput,
    emitted: {} as { type: 'send'; to: string; event: PingEcho },
  },
  actions: {
    sendPing: emit(({ context }) => ({
      type: 'send' as const,
      to: context.peer,
      event: { type: 'ping.echo' as const, seq: context.seq, replyTo: context.self },
    })),
    countSend: assign({ sentCount: ({ context }) => context.sentCount + 1 }),
    armTimeout: raise({ type: 'ping.timedOut' }, { id: PING_TIMER_ID, delay: ({ context }) => context.timeoutUs }),
    cancelTimeout: cancel(PING_TIMER_ID),
    countReply: assign({ repliedCount: ({ context }) => context.repliedCount + 1 }),
    countStaleReply: assign({ staleReplyCount: ({ context }) => context.staleReplyCount + 1 }),
    countRetry: assign({
      retries: ({ context }) => context.retries + 1,
      retransmitCount: ({ context }) => context.retransmitCount + 1,
    }),
    countGiveUp: assign({ gaveUpCount: ({ context }) => context.gaveUpCount + 1 }),
    nextPing: assign({ seq: ({ context }) => context.seq + 1, retries: 0 }),
  },
  guards: {
    isCurrentReply: ({ context, event }) => event.type === 'ping.echoed' && event.seq === context.seq,
    hasRetriesLeft: ({ context }) => context.retries < context.maxRetries,
    hasMorePings: ({ context }) => context.seq < context.pingCount,
  },
}).createMachine({
  id: 'pinger',
  context: ({ input }) => ({
    ...input,
    seq: 1,
    retries: 0,
    sentCount: 0,
    retransmitCount: 0,
    repliedCount: 0,
    gaveUpCount: 0,
    staleReplyCount: 0,
  }),
  initial: 'waiting',
  states: {
    waiting: {
      entry: ['sendPing', 'countSend', 'armTimeout'],
      exit: 'cancelTimeout',
      on: {
        'ping.echoed': [
          { guard: 'isCurrentReply', target: 'deciding', actions: 'countReply' },
          { actions: 'countStaleReply' },
        ],
        'ping.timedOut': [
          { guard: 'hasRetriesLeft', target: 'waiting', reenter: true, actions: 'countRetry' },
          { target: 'deciding', actions: 'countGiveUp' },
        ],
      },
    },
    deciding: {
      always: [{ guard: 'hasMorePings', target: 'waiting', actions: 'nextPing' }, { target: 'done' }],
    },
    // Final: like any stopped XState actor, it takes no more events (the kernel drops them as 'target done').
    done: { type: 'final' },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const pingerSampleEvents: readonly PingerEvent[] = [
  { type: 'ping.echoed', seq: 1 },
  { type: 'ping.echoed', seq: 2 },
  { type: 'ping.timedOut' },
];
