// The consumer of one NIC client queue (M13): it takes the bursts its queue hands it and counts packets, bytes and
// reported drops; the specs judge from the bursts on the wire, this only keeps the figures.

import { assign, setup } from 'xstate';
import type { RxClientEvent } from './rxEvents.js';

export interface RxClientInput {
  readonly queue: number;
}

export interface RxClientContext extends RxClientInput {
  readonly stats: {
    readonly packets: number;
    readonly bytes: number;
    readonly bursts: number;
    readonly dropped: number;
  };
}

export const rxClientMachine = setup({
  types: { context: {} as RxClientContext, events: {} as RxClientEvent, input: {} as RxClientInput },
  actions: {
    take: assign(({ context: c, event }) => {
      const s = c.stats;
      if (event.type === 'rxc.overflow') return { stats: { ...s, dropped: s.dropped + event.packets.length } };
      const bytes = event.packets.reduce((n, p) => n + p.length, 0);
      return {
        stats: { ...s, packets: s.packets + event.packets.length, bytes: s.bytes + bytes, bursts: s.bursts + 1 },
      };
    }),
  },
}).createMachine({
  id: 'rxClient',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({ ...input, stats: { packets: 0, bytes: 0, bursts: 0, dropped: 0 } }),
  initial: 'consuming',
  states: {
    consuming: { on: { 'rxc.packets': { actions: 'take' }, 'rxc.overflow': { actions: 'take' } } },
  },
});

/** Sample events for tests and test generation. */
export const rxClientSampleEvents: readonly RxClientEvent[] = [
  { type: 'rxc.packets', queue: 0, packets: [Uint8Array.from([1, 2, 3])] },
  { type: 'rxc.overflow', queue: 0, packets: [Uint8Array.from([4])] },
];
