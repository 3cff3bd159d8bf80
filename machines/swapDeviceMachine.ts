// The swap device of M9 on the storage host: it reads swapped-out pages back for the hypervisor's pager on a few
// channels at once, the rest waiting in a bounded FIFO queue, each read taking a fixed service time.

import { and, assertEvent, enqueueActions, setup } from 'xstate';
import type { HvPagerEvent, SchedSend, SwapDeviceEvent } from './schedEvents.js';

export interface SwapDeviceInput {
  readonly pager: string;
  /** Virtual time to read one page (µs). */
  readonly serviceUs: number;
  /** Reads in service at once (the device's internal parallelism, as an SSD's queues give). */
  readonly channels: number;
  /** Most requests waiting for a channel; past it a request is refused (dropped), and a retransmission brings it back. */
  readonly queueMax: number;
}

export interface SwapRequest {
  readonly op: number;
  readonly page: number;
}

export interface SwapDeviceContext extends SwapDeviceInput {
  /** The read in service on each channel, or null. */
  readonly slots: readonly (SwapRequest | null)[];
  readonly queue: readonly SwapRequest[];
  readonly stats: { readonly reads: number; readonly duplicates: number; readonly refused: number };
}

export const serviceTimerId = (slot: number) => `swap.service.${slot}`;

const same = (a: SwapRequest | null, r: SwapRequest) => a !== null && a.op === r.op && a.page === r.page;

/**
 * Takes a request: a free channel starts reading it (the slot to arm is returned), else it waits in the queue. One
 * already in service or queued (a retransmission) is counted and dropped, and so is one that finds the queue full.
 */
export function admit(c: SwapDeviceContext, r: SwapRequest): { next: Partial<SwapDeviceContext>; arm: number | null } {
  if (c.slots.some((x) => same(x, r)) || c.queue.some((x) => same(x, r))) {
    return { next: { stats: { ...c.stats, duplicates: c.stats.duplicates + 1 } }, arm: null };
  }
  const request = { op: r.op, page: r.page };
  const free = c.slots.indexOf(null);
  if (free >= 0) return { next: { slots: c.slots.map((x, i) => (i === free ? request : x)) }, arm: free };
  if (c.queue.length >= c.queueMax) return { next: { stats: { ...c.stats, refused: c.stats.refused + 1 } }, arm: null };
  return { next: { queue: [...c.queue, request] }, arm: null };
}

export const swapDeviceMachine = setup({
  types: {
    context: {} as SwapDeviceContext,
    events: {} as SwapDeviceEvent,
    input: {} as SwapDeviceInput,
    emitted: {} as SchedSend<Extract<HvPagerEvent, { type: 'pager.pageIn' }>>,
  },
  actions: {
    admit: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'swap.read');
      const { next, arm } = admit(c, event);
      enqueue.assign(next);
      if (arm === null) return;
      enqueue.cancel(serviceTimerId(arm));
      enqueue.raise({ type: 'swap.served', slot: arm }, { id: serviceTimerId(arm), delay: c.serviceUs });
    }),
    // A channel finished its read: the page goes back to the pager, and the channel takes the next request queued.
    answer: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'swap.served');
      const done = c.slots[event.slot];
      if (done === undefined || done === null) throw new Error(`swapDevice: channel ${event.slot} finished no read`);
      const [head, ...rest] = c.queue;
      const slots = c.slots.map((x, i) => (i === event.slot ? (head ?? null) : x));
      enqueue.assign({ slots, queue: rest, stats: { ...c.stats, reads: c.stats.reads + 1 } });
      enqueue.emit({ type: 'send', to: c.pager, event: { type: 'pager.pageIn', op: done.op, page: done.page } });
      if (head === undefined) return;
      enqueue.cancel(serviceTimerId(event.slot));
      enqueue.raise({ type: 'swap.served', slot: event.slot }, { id: serviceTimerId(event.slot), delay: c.serviceUs });
    }),
  },
  guards: {
    isSlotBusy: ({ context: c, event }) => {
      assertEvent(event, 'swap.served');
      return (c.slots[event.slot] ?? null) !== null;
    },
    isLastRead: ({ context: c, event }) => {
      assertEvent(event, 'swap.served');
      return c.queue.length === 0 && c.slots.every((x, i) => x === null || i === event.slot);
    },
  },
}).createMachine({
  id: 'swapDevice',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => {
    if (input.channels < 1) throw new Error(`swapDevice: channels ${input.channels}: at least 1 is needed`);
    const slots = Array.from({ length: input.channels }, () => null);
    return { ...input, slots, queue: [], stats: { reads: 0, duplicates: 0, refused: 0 } };
  },
  initial: 'idle',
  states: {
    // No read in service: a request takes a free channel at once.
    idle: {
      on: { 'swap.read': { target: 'busy', actions: 'admit' } },
    },
    busy: {
      on: {
        'swap.read': { actions: 'admit' },
        'swap.served': [
          { guard: and(['isSlotBusy', 'isLastRead']), target: 'idle', actions: 'answer' },
          { guard: 'isSlotBusy', actions: 'answer' },
        ],
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const swapDeviceSampleEvents: readonly SwapDeviceEvent[] = [
  { type: 'swap.read', op: 0, page: 3 },
  { type: 'swap.read', op: 1, page: 65536 },
  { type: 'swap.read', op: 0, page: 3 },
  { type: 'swap.served', slot: 0 },
  { type: 'swap.served', slot: 0 },
];
