// The guest workload of M15/M16: it reads its resources in turn with a few accesses outstanding at once, resending
// an unanswered one on a bounded timer; the answers it gets are what the specs hold against the mode.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { AnswerKind, FaultMmuEvent, FaultySend, IoGuestEvent } from './faultyEvents.js';

export interface IoGuestInput {
  readonly mmu: string;
  /** Accesses the workload makes in all; access op reads resource op % resources. */
  readonly accesses: number;
  /** Accesses outstanding at once. */
  readonly window: number;
  readonly resources: number;
  /** Resend an unanswered access after (µs), at most `maxRetries` times. */
  readonly retransmitUs: number;
  readonly maxRetries: number;
}

export interface Slot {
  readonly op: number;
  readonly tries: number;
}

export interface IoGuestStats {
  readonly real: number;
  readonly faked: number;
  readonly error: number;
  readonly stale: number;
  readonly retransmits: number;
  readonly gaveUp: number;
}

export interface IoGuestContext extends IoGuestInput {
  readonly nextOp: number;
  /** The access outstanding in each window slot, or null. */
  readonly slots: readonly (Slot | null)[];
  readonly stats: IoGuestStats;
}

type Emitted = FaultySend<Extract<FaultMmuEvent, { type: 'mmu.access' }>>;

export const retryTimerId = (slot: number) => `io.retry.${slot}`;

/** What `applyGuestStep` needs of XState's `enqueue`. */
interface GuestEnqueue {
  assign(next: Partial<IoGuestContext>): void;
  emit(e: Emitted): void;
  cancel(id: string): void;
  raise(e: IoGuestEvent, options: { id: string; delay: number }): void;
}

/** Starts the next access in `slot` (if any is left): sent to the MMU, its retransmission timer armed. */
function issue(c: IoGuestContext, slot: number, q: GuestEnqueue): IoGuestContext {
  q.cancel(retryTimerId(slot));
  if (c.nextOp >= c.accesses) return { ...c, slots: c.slots.map((s, i) => (i === slot ? null : s)) };
  const op = c.nextOp;
  q.emit({ type: 'send', to: c.mmu, event: { type: 'mmu.access', op, resource: op % c.resources } });
  q.raise({ type: 'io.retry', slot }, { id: retryTimerId(slot), delay: c.retransmitUs });
  return { ...c, nextOp: op + 1, slots: c.slots.map((s, i) => (i === slot ? { op, tries: 0 } : s)) };
}

function slotOf(c: IoGuestContext, op: number): number {
  return c.slots.findIndex((s) => s !== null && s.op === op);
}

const KIND_FIELD: Readonly<Record<AnswerKind, keyof IoGuestStats>> = { real: 'real', faked: 'faked', error: 'error' };

export const ioGuestMachine = setup({
  types: {
    context: {} as IoGuestContext,
    events: {} as IoGuestEvent,
    input: {} as IoGuestInput,
    emitted: {} as Emitted,
  },
  actions: {
    start: enqueueActions(({ context, enqueue }) => {
      let c = context;
      for (let slot = 0; slot < c.window; slot++) c = issue(c, slot, enqueue);
      enqueue.assign({ nextOp: c.nextOp, slots: c.slots });
    }),
    take: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'io.answered');
      const slot = slotOf(c, event.op);
      const field = KIND_FIELD[event.kind];
      const stats = { ...c.stats, [field]: c.stats[field] + 1 };
      const n = issue({ ...c, stats }, slot, enqueue);
      enqueue.assign({ nextOp: n.nextOp, slots: n.slots, stats });
    }),
    countStale: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, stale: c.stats.stale + 1 } });
    }),
    resend: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'io.retry');
      const s = c.slots[event.slot];
      if (s === undefined || s === null) throw new Error(`ioGuest: retry of empty slot ${event.slot}`);
      enqueue.emit({ type: 'send', to: c.mmu, event: { type: 'mmu.access', op: s.op, resource: s.op % c.resources } });
      enqueue.cancel(retryTimerId(event.slot));
      enqueue.raise({ type: 'io.retry', slot: event.slot }, { id: retryTimerId(event.slot), delay: c.retransmitUs });
      const slots = c.slots.map((x, i) => (i === event.slot ? { op: s.op, tries: s.tries + 1 } : x));
      enqueue.assign({ slots, stats: { ...c.stats, retransmits: c.stats.retransmits + 1 } });
    }),
    // Out of retries: the access is abandoned (the liveness spec reports it) and the slot takes the next one.
    giveUp: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'io.retry');
      const stats = { ...c.stats, gaveUp: c.stats.gaveUp + 1 };
      const n = issue({ ...c, stats }, event.slot, enqueue);
      enqueue.assign({ nextOp: n.nextOp, slots: n.slots, stats });
    }),
  },
  guards: {
    isOutstanding: ({ context: c, event }) => {
      assertEvent(event, 'io.answered');
      return slotOf(c, event.op) >= 0;
    },
    hasRetriesLeft: ({ context: c, event }) => {
      assertEvent(event, 'io.retry');
      const s = c.slots[event.slot];
      return s !== undefined && s !== null && s.tries < c.maxRetries;
    },
    isSlotBusy: ({ context: c, event }) => {
      assertEvent(event, 'io.retry');
      return (c.slots[event.slot] ?? null) !== null;
    },
    isAllDone: ({ context: c }) => c.nextOp >= c.accesses && c.slots.every((s) => s === null),
  },
}).createMachine({
  id: 'ioGuest',
  context: ({ input }) => {
    if (input.window < 1) throw new Error(`ioGuest: window ${input.window}: at least 1 is needed`);
    const slots = Array.from({ length: input.window }, () => null);
    const stats = { real: 0, faked: 0, error: 0, stale: 0, retransmits: 0, gaveUp: 0 };
    return { ...input, nextOp: 0, slots, stats };
  },
  initial: 'idle',
  states: {
    idle: { on: { 'io.start': { target: 'running', actions: 'start' } } },
    running: {
      always: { guard: 'isAllDone', target: 'done' },
      on: {
        'io.answered': [{ guard: 'isOutstanding', actions: 'take' }, { actions: 'countStale' }],
        'io.retry': [
          { guard: 'hasRetriesLeft', actions: 'resend' },
          { guard: 'isSlotBusy', actions: 'giveUp' },
        ],
      },
    },
    // Every access answered or abandoned; late answers are still counted as stale.
    done: { on: { 'io.answered': { actions: 'countStale' } } },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const ioGuestSampleEvents: readonly IoGuestEvent[] = [
  { type: 'io.start' },
  { type: 'io.answered', op: 0, resource: 0, value: 1, kind: 'real' },
  { type: 'io.retry', slot: 1 },
  { type: 'io.answered', op: 0, resource: 0, value: 1, kind: 'real' },
];
