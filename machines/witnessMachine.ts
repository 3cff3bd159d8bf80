// The witness: a lease service on a third host that grants at most one holder at a time (M1 fencing). It can also
// make the holder the only one allowed ever (degraded mode) until that holder says the backup is current again.

import { assertEvent, assign, emit, raise, setup } from 'xstate';
import type { CoordinatorEvent, Send, WitnessEvent } from './haEvents.js';

export interface WitnessInput {
  readonly leaseUs: number;
  /** Margin on top of the holder's term: covers the clocks' drift, so the holder's copy always ends first. */
  readonly skewUs: number;
  /**
   * The host that is primary when the system starts, on record as the holder before any grant: if another host's
   * request is the first to arrive (the primary was cut off before its own did), that host takes it over, and the
   * primary, whose VMs the other resumed, is deposed like any holder taken over. Omitted: no one is on record.
   */
  readonly startingPrimary?: string;
}

export interface WitnessContext extends WitnessInput {
  readonly holder: string | null;
  /**
   * Set by `lease.degrade` from the holder: no one else may take the lease even after it expires, because
   * the others' state is stale (the holder ran without a backup). Cleared by `lease.protect` from that holder.
   */
  readonly exclusive: string | null;
  /**
   * The holder whose term ran out last, or the starting primary before any grant (null: none on record): if someone
   * else takes the lease, it was taken over.
   */
  readonly previous: string | null;
  /**
   * Holders whose lease another host took over: their state is stale (the other host resumed their VMs), so they
   * never get the lease again, whoever lets it lapse later. At most one per host of the assembly.
   */
  readonly deposed: readonly string[];
  readonly grants: number;
  readonly denials: number;
}

type WitnessReply = Extract<
  CoordinatorEvent,
  | { type: 'lease.granted' }
  | { type: 'lease.denied' }
  | { type: 'lease.degraded' }
  | { type: 'lease.protected' }
  | { type: 'lease.refused' }
>;

/** What the witness sends: its answer to a request, to the requester's replyTo. */
export type WitnessSend = Send<WitnessReply>;

export const WITNESS_LEASE_TIMER_ID = 'witness.lease';
/** Bound on deposed holders: an assembly has a handful of hosts, so more is a bug, not a workload. */
const MAX_DEPOSED = 16;

/** The witness's answer to a request, sent back to the asker with the request's holder and id. */
function reply(event: WitnessEvent, type: WitnessReply['type']): WitnessSend {
  if (event.type !== 'lease.acquire' && event.type !== 'lease.degrade' && event.type !== 'lease.protect') {
    throw new Error(`witness: no reply to '${event.type}'`);
  }
  return { type: 'send', to: event.replyTo, event: { type, holder: event.holder, requestId: event.requestId } };
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
      const takeover = context.previous !== null && context.previous !== event.holder;
      if (takeover && context.deposed.length >= MAX_DEPOSED) throw new Error('witness: too many deposed holders');
      return {
        holder: event.holder,
        deposed: takeover ? [...context.deposed, context.previous as string] : context.deposed,
      };
    }),
    releaseLease: assign(({ context }) => ({ holder: null, previous: context.holder })),
    // The witness's term outlasts the holder's own by skewUs, so the holder always stops using it first. A renewal
    // re-arms it: the new term replaces the pending one (the kernel's re-arm rule).
    armExpiry: raise(
      { type: 'lease.expired' },
      { id: WITNESS_LEASE_TIMER_ID, delay: ({ context }) => context.leaseUs + context.skewUs },
    ),
    makeExclusive: assign(({ event }) => {
      assertEvent(event, 'lease.degrade');
      return { exclusive: event.holder };
    }),
    endExclusive: assign({ exclusive: null }),
    sendGrant: emit(({ event }) => reply(event, 'lease.granted')),
    sendDenial: emit(({ event }) => reply(event, 'lease.denied')),
    sendDegraded: emit(({ event }) => reply(event, 'lease.degraded')),
    sendProtected: emit(({ event }) => reply(event, 'lease.protected')),
    // A degrade or protect from a host that does not hold the lease: answered apart from lease denials.
    sendRefusal: emit(({ event }) => reply(event, 'lease.refused')),
    countGrant: assign({ grants: ({ context }) => context.grants + 1 }),
    countDenial: assign({ denials: ({ context }) => context.denials + 1 }),
  },
  guards: {
    isHolder: ({ context, event }) =>
      (event.type === 'lease.acquire' || event.type === 'lease.degrade' || event.type === 'lease.protect') &&
      event.holder === context.holder,
    // Free, not taken over before, and either nobody is exclusive or the asker is the exclusive one.
    isAllowed: ({ context, event }) =>
      event.type === 'lease.acquire' &&
      !context.deposed.includes(event.holder) &&
      (context.exclusive === null || context.exclusive === event.holder),
  },
}).createMachine({
  id: 'witness',
  context: ({ input }) => ({
    ...input,
    holder: null,
    exclusive: null,
    previous: input.startingPrimary ?? null,
    deposed: [],
    grants: 0,
    denials: 0,
  }),
  initial: 'free',
  states: {
    free: {
      on: {
        'lease.acquire': [
          { guard: 'isAllowed', target: 'held', actions: ['takeLease', 'armExpiry', 'sendGrant', 'countGrant'] },
          { actions: ['sendDenial', 'countDenial'] },
        ],
        'lease.degrade': { actions: ['sendRefusal', 'countDenial'] },
        'lease.protect': { actions: ['sendRefusal', 'countDenial'] },
      },
    },
    held: {
      on: {
        'lease.acquire': [
          { guard: 'isHolder', actions: ['armExpiry', 'sendGrant', 'countGrant'] },
          { actions: ['sendDenial', 'countDenial'] },
        ],
        'lease.degrade': [
          { guard: 'isHolder', actions: ['makeExclusive', 'sendDegraded'] },
          { actions: ['sendRefusal', 'countDenial'] },
        ],
        'lease.protect': [
          { guard: 'isHolder', actions: ['endExclusive', 'sendProtected'] },
          { actions: ['sendRefusal', 'countDenial'] },
        ],
        'lease.expired': { target: 'free', actions: 'releaseLease' },
        // Its state is durable but its timers died with it: a whole new term for the holder on record,
        // so no lease granted before the crash can still be running when another is granted.
        'host.restarted': { actions: 'armExpiry' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const witnessSampleEvents: readonly WitnessEvent[] = [
  { type: 'lease.acquire', holder: 'hostA', replyTo: 'hostA/coordinator', requestId: 1 },
  { type: 'lease.acquire', holder: 'hostB', replyTo: 'hostB/replica', requestId: 1 },
  { type: 'lease.degrade', holder: 'hostA', replyTo: 'hostA/coordinator', requestId: 2 },
  { type: 'lease.protect', holder: 'hostA', replyTo: 'hostA/coordinator', requestId: 3 },
  { type: 'lease.expired' },
  { type: 'host.restarted' },
];
