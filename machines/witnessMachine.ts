// The witness: a lease service on a third host that grants at most one holder at a time (SPEC.md M4, fencing).
// A host puts packets on the wire only while it holds the lease, so a partition cannot yield two primaries.

import { assertEvent, assign, cancel, emit, raise, setup } from 'xstate';
import type { CoordinatorEvent, Send, WitnessEvent } from './haEvents.js';

export interface WitnessInput {
  readonly leaseUs: number;
  /** At least the largest one-way latency from the witness to a holder: the holder's copy of the lease ends first. */
  readonly skewUs: number;
}

export interface WitnessContext extends WitnessInput {
  readonly holder: string | null;
  /** Whoever held the lease last, kept across expiry so a re-acquisition by the same host is not a hand-over. */
  readonly lastHolder: string | null;
  readonly grants: number;
  readonly denials: number;
  readonly holderChanges: number;
}

type LeaseReply = Extract<CoordinatorEvent, { type: 'lease.granted' } | { type: 'lease.denied' }>;

/** What the witness sends: a grant or a denial, to the requester's replyTo. */
export type WitnessSend = Send<LeaseReply>;

export const WITNESS_LEASE_TIMER_ID = 'witness.lease';

/** The witness's answer to a `lease.acquire`, sent back to the asker: a grant or a denial, same payload. */
function leaseReply(event: WitnessEvent, type: 'lease.granted' | 'lease.denied') {
  assertEvent(event, 'lease.acquire');
  return {
    type: 'send' as const,
    to: event.replyTo,
    event: { type, holder: event.holder, requestId: event.requestId },
  };
}

export const witnessMachine = setup({
  types: {
    context: {} as WitnessContext,
    events: {} as WitnessEvent,
    input: {} as WitnessInput,
    emitted: {} as WitnessSend,
  },
  actions: {
    takeLease: assign(({ context, event }) => {
      assertEvent(event, 'lease.acquire');
      const changed = event.holder !== context.lastHolder;
      return {
        holder: event.holder,
        lastHolder: event.holder,
        holderChanges: context.holderChanges + (changed ? 1 : 0),
      };
    }),
    releaseLease: assign({ holder: null }),
    // The witness's timer outlasts the holder's own by skewUs, so the holder always stops using it first.
    armExpiry: raise(
      { type: 'lease.expired' },
      { id: WITNESS_LEASE_TIMER_ID, delay: ({ context }) => context.leaseUs + context.skewUs },
    ),
    // Cancelled before every re-arm: a plain XState actor does not replace a pending timer with the same id.
    cancelExpiry: cancel(WITNESS_LEASE_TIMER_ID),
    sendGrant: emit(({ event }) => leaseReply(event, 'lease.granted')),
    sendDenial: emit(({ event }) => leaseReply(event, 'lease.denied')),
    countGrant: assign({ grants: ({ context }) => context.grants + 1 }),
    countDenial: assign({ denials: ({ context }) => context.denials + 1 }),
  },
  guards: {
    isHolder: ({ context, event }) => event.type === 'lease.acquire' && event.holder === context.holder,
  },
}).createMachine({
  id: 'witness',
  context: ({ input }) => ({ ...input, holder: null, lastHolder: null, grants: 0, denials: 0, holderChanges: 0 }),
  initial: 'free',
  states: {
    free: {
      on: {
        'lease.acquire': { target: 'held', actions: ['takeLease', 'armExpiry', 'sendGrant', 'countGrant'] },
      },
    },
    held: {
      on: {
        'lease.acquire': [
          { guard: 'isHolder', actions: ['cancelExpiry', 'armExpiry', 'sendGrant', 'countGrant'] },
          { actions: ['sendDenial', 'countDenial'] },
        ],
        'lease.expired': { target: 'free', actions: 'releaseLease' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const witnessSampleEvents: readonly WitnessEvent[] = [
  { type: 'lease.acquire', holder: 'hostA', replyTo: 'hostA/coordinator', requestId: 1 },
  { type: 'lease.acquire', holder: 'hostB', replyTo: 'hostB/replica', requestId: 1 },
  { type: 'lease.expired' },
];
