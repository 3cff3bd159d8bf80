// The outside world of output commit (M1): a client on the WAN that records the outputs it receives. Its context
// is for summaries only; the specs judge from what the buffer sent, never from what this client kept.

import { assertEvent, enqueueActions, setup } from 'xstate';
import type { PlugClientEvent } from './plugEvents.js';

export interface PlugClientInput {
  /** Most sequence numbers kept in `received`; later ones are only counted, so the record stays bounded. */
  readonly maxRecorded: number;
}

export interface PlugClientContext extends PlugClientInput {
  /** Sequence numbers in arrival order (the first `maxRecorded`). */
  readonly received: readonly number[];
  readonly stats: {
    readonly deliveries: number;
    /** Arrivals of a seq already seen (the WAN duplicated it). */
    readonly duplicates: number;
    /** Arrivals below the highest seq seen (the WAN reordered them). */
    readonly reordered: number;
    readonly highestSeq: number;
  };
}

export const plugClientMachine = setup({
  types: {
    context: {} as PlugClientContext,
    events: {} as PlugClientEvent,
    input: {} as PlugClientInput,
  },
  actions: {
    record: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'net.deliver');
      const s = c.stats;
      const seen = c.received.includes(event.seq);
      const received = c.received.length < c.maxRecorded && !seen ? [...c.received, event.seq] : c.received;
      enqueue.assign({
        received,
        stats: {
          deliveries: s.deliveries + 1,
          duplicates: s.duplicates + (seen ? 1 : 0),
          reordered: s.reordered + (!seen && event.seq < s.highestSeq ? 1 : 0),
          highestSeq: Math.max(s.highestSeq, event.seq),
        },
      });
    }),
  },
}).createMachine({
  id: 'plugClient',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    received: [],
    stats: { deliveries: 0, duplicates: 0, reordered: 0, highestSeq: 0 },
  }),
  initial: 'receiving',
  states: {
    receiving: { on: { 'net.deliver': { actions: 'record' } } },
  },
});

export const plugClientSampleEvents: readonly PlugClientEvent[] = [
  { type: 'net.deliver', seq: 1, data: 'pkt-1' },
  { type: 'net.deliver', seq: 1, data: 'pkt-1' },
  { type: 'net.deliver', seq: 2, data: 'pkt-2' },
];
