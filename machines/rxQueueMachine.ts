// A client queue of the NIC (M13): a bounded ring of received packets, drained to its consumer a burst per tick in
// ring order. A chain that does not fit is dropped at the tail and the drop reported to the consumer, never silent.

import { enqueueActions, setup } from 'xstate';
import type { RxClientEvent, RxQueueEvent, RxSend } from './rxEvents.js';

export interface RxQueueInput {
  readonly index: number;
  readonly client: string;
  /** Ring slots: packets the queue holds at most. */
  readonly slots: number;
  /** Packets handed to the consumer per drain tick. */
  readonly burst: number;
  readonly drainUs: number;
}

export interface RxQueueContext extends RxQueueInput {
  readonly ring: readonly Uint8Array[];
  readonly stats: {
    readonly received: number;
    readonly delivered: number;
    readonly overflow: number;
    readonly maxDepth: number;
  };
}

export const RXQ_DRAIN_TIMER_ID = 'rxq.drain';

/** Takes the burst the consumer gets next off the ring: its head, or (planted) its tail. */
export function takeBurst(c: RxQueueContext, fromTail = false) {
  const n = Math.min(c.burst, c.ring.length);
  const burst = fromTail ? c.ring.slice(c.ring.length - n).reverse() : c.ring.slice(0, n);
  const ring = fromTail ? c.ring.slice(0, c.ring.length - n) : c.ring.slice(n);
  return { burst, ring };
}

export const rxQueueMachine = setup({
  types: {
    context: {} as RxQueueContext,
    events: {} as RxQueueEvent,
    input: {} as RxQueueInput,
    emitted: {} as RxSend<RxClientEvent>,
  },
  actions: {
    enqueueChain: enqueueActions(({ context: c, event, enqueue }) => {
      if (event.type !== 'rxq.chain') throw new Error(`rxQueue: enqueueChain on ${event.type}`);
      const room = Math.max(0, c.slots - c.ring.length);
      const kept = event.packets.slice(0, room);
      const dropped = event.packets.slice(room);
      const ring = [...c.ring, ...kept];
      const s = c.stats;
      const stats = {
        ...s,
        received: s.received + event.packets.length,
        overflow: s.overflow + dropped.length,
        maxDepth: Math.max(s.maxDepth, ring.length),
      };
      enqueue.assign({ ring, stats });
      if (dropped.length > 0) {
        enqueue.emit({ type: 'send', to: c.client, event: { type: 'rxc.overflow', queue: c.index, packets: dropped } });
      }
    }),
    arm: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(RXQ_DRAIN_TIMER_ID);
      enqueue.raise({ type: 'rxq.drain' }, { id: RXQ_DRAIN_TIMER_ID, delay: c.drainUs });
    }),
    drain: enqueueActions(({ context: c, enqueue }) => {
      const { burst, ring } = takeBurst(c);
      enqueue.assign({ ring, stats: { ...c.stats, delivered: c.stats.delivered + burst.length } });
      enqueue.emit({ type: 'send', to: c.client, event: { type: 'rxc.packets', queue: c.index, packets: burst } });
    }),
  },
  guards: {
    hasPackets: ({ context: c }) => c.ring.length > 0,
  },
}).createMachine({
  id: 'rxQueue',
  context: ({ input }) => {
    if (input.slots < 1 || input.burst < 1) throw new Error('rxQueue: slots and burst must be at least 1');
    return { ...input, ring: [], stats: { received: 0, delivered: 0, overflow: 0, maxDepth: 0 } };
  },
  initial: 'empty',
  states: {
    empty: {
      on: { 'rxq.chain': { target: 'draining', actions: 'enqueueChain' } },
    },
    draining: {
      entry: 'arm',
      on: {
        'rxq.chain': { actions: 'enqueueChain' },
        'rxq.drain': [
          { guard: 'hasPackets', target: 'draining', reenter: true, actions: 'drain' },
          { target: 'empty' },
        ],
      },
    },
  },
});

/** Sample events for tests and test generation. */
export const rxQueueSampleEvents: readonly RxQueueEvent[] = [
  { type: 'rxq.chain', packets: [Uint8Array.from([1, 2]), Uint8Array.from([3, 4])] },
  { type: 'rxq.drain' },
  { type: 'rxq.drain' },
];
