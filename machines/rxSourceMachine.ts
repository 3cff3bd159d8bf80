// The sender host across the link (M13): it sends its flows' packets as chains, one chain per timer tick, in the
// wire order of its plan. It never resends; the link may lose, delay, duplicate or reorder chains.

import { enqueueActions, setup } from 'xstate';
import { buildPacket, type FlowMix, flowHeader, PROTO_TCP } from '../dataplane/packets.js';
import type { RxPathEvent, RxSend, RxSourceEvent } from './rxEvents.js';

export interface RxSourceInput {
  readonly nic: string;
  readonly mix: FlowMix;
  /** The flow of each packet in wire order, and its sequence number within the flow. */
  readonly order: readonly number[];
  readonly seqs: readonly number[];
  readonly chainLen: number;
  readonly gapUs: number;
  readonly payloadBytes: number;
}

export interface RxSourceContext extends RxSourceInput {
  readonly next: number;
  readonly chains: number;
}

export const RXSRC_TIMER_ID = 'rxsrc.next';

/** The frames of the chain that starts at packet `from`. */
export function chainAt(c: RxSourceInput, from: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = from; i < Math.min(c.order.length, from + c.chainLen); i++) {
    const flow = c.order[i] as number;
    const h = flowHeader(c.mix, flow);
    const seq = c.seqs[i] as number;
    out.push(buildPacket({ ...h, proto: PROTO_TCP, flow, seq, payloadBytes: c.payloadBytes }));
  }
  return out;
}

export const rxSourceMachine = setup({
  types: {
    context: {} as RxSourceContext,
    events: {} as RxSourceEvent,
    input: {} as RxSourceInput,
    emitted: {} as RxSend<RxPathEvent>,
  },
  actions: {
    arm: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(RXSRC_TIMER_ID);
      enqueue.raise({ type: 'rxsrc.next' }, { id: RXSRC_TIMER_ID, delay: c.gapUs });
    }),
    sendChain: enqueueActions(({ context: c, enqueue }) => {
      const packets = chainAt(c, c.next);
      enqueue.assign({ next: c.next + packets.length, chains: c.chains + 1 });
      enqueue.emit({ type: 'send', to: c.nic, event: { type: 'rx.chain', packets } });
    }),
  },
  guards: {
    hasMore: ({ context: c }) => c.next < c.order.length,
  },
}).createMachine({
  id: 'rxSource',
  context: ({ input }) => ({ ...input, next: 0, chains: 0 }),
  initial: 'sending',
  states: {
    sending: {
      entry: 'arm',
      on: {
        'rxsrc.next': [
          { guard: 'hasMore', target: 'sending', reenter: true, actions: 'sendChain' },
          { target: 'done' },
        ],
      },
    },
    done: {},
  },
});

/** Sample events for tests and test generation. */
export const rxSourceSampleEvents: readonly RxSourceEvent[] = [{ type: 'rxsrc.next' }, { type: 'rxsrc.next' }];
