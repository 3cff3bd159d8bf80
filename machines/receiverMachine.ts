// The outside world's network stack: every packet either NIC puts on the wire ends up here, one stream per VM.
// Like TCP it hands the application each sequence number once and in order, holding early ones and dropping repeats.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { AppEvent, Packet, ReceiverEvent, Send, VmId } from './haEvents.js';

export interface ReceiverInput {
  /** All VMs, checkpointing or not. */
  readonly vms: readonly VmId[];
  /** The application the in-order stream is handed to. */
  readonly app: string;
  /** Out-of-order packets held per VM before further early ones are dropped (TCP's receive window). */
  readonly windowPackets: number;
}

export interface StreamState {
  /** Next seq the application expects; starts at 1. */
  readonly next: number;
  /** Packets that arrived ahead of `next`, by seq (ascending). */
  readonly early: readonly Packet[];
  readonly duplicates: number;
  readonly dropped: number;
}

export interface ReceiverContext extends ReceiverInput {
  /** Keyed String(vm). */
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly wirePackets: number;
}

export type ReceiverEmitted = Send<AppEvent>;

const EMPTY_STREAM: StreamState = Object.freeze({ next: 1, early: [], duplicates: 0, dropped: 0 });

function streamOf(context: ReceiverContext, vm: VmId): StreamState {
  return context.streams[String(vm)] ?? EMPTY_STREAM;
}

export const receiverMachine = setup({
  types: {
    context: {} as ReceiverContext,
    events: {} as ReceiverEvent,
    input: {} as ReceiverInput,
    emitted: {} as ReceiverEmitted,
  },
  actions: {
    countWire: assign({ wirePackets: ({ context }) => context.wirePackets + 1 }),
    // The packet that was expected, then every held one that now follows on, go to the application in order.
    deliverInOrder: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'wire.packet');
      const s = streamOf(context, event.vm);
      let next = s.next;
      let early = s.early;
      const ready: Packet[] = [{ vm: event.vm, seq: event.seq, payload: event.payload }];
      next++;
      while (early.length > 0 && (early[0] as Packet).seq === next) {
        ready.push(early[0] as Packet);
        early = early.slice(1);
        next++;
      }
      for (const p of ready) {
        enqueue.emit({
          type: 'send',
          to: context.app,
          event: { type: 'app.deliver', vm: p.vm, seq: p.seq, payload: p.payload },
        });
      }
      enqueue.assign({ streams: { ...context.streams, [String(event.vm)]: { ...s, next, early } } });
    }),
    holdEarly: assign(({ context, event }) => {
      assertEvent(event, 'wire.packet');
      const s = streamOf(context, event.vm);
      const p = { vm: event.vm, seq: event.seq, payload: event.payload };
      const early = [...s.early, p].sort((a, b) => a.seq - b.seq);
      return { streams: { ...context.streams, [String(event.vm)]: { ...s, early } } };
    }),
    countDuplicate: assign(({ context, event }) => {
      const s = streamOf(context, event.vm);
      return { streams: { ...context.streams, [String(event.vm)]: { ...s, duplicates: s.duplicates + 1 } } };
    }),
    countDropped: assign(({ context, event }) => {
      const s = streamOf(context, event.vm);
      return { streams: { ...context.streams, [String(event.vm)]: { ...s, dropped: s.dropped + 1 } } };
    }),
  },
  guards: {
    isNextInStream: ({ context, event }) => event.seq === streamOf(context, event.vm).next,
    isRepeat: ({ context, event }) => {
      const s = streamOf(context, event.vm);
      return event.seq < s.next || s.early.some((p) => p.seq === event.seq);
    },
    hasWindowRoom: ({ context, event }) => streamOf(context, event.vm).early.length < context.windowPackets,
  },
}).createMachine({
  id: 'receiver',
  context: ({ input }) => ({
    ...input,
    streams: Object.fromEntries(input.vms.map((vm) => [String(vm), EMPTY_STREAM])),
    wirePackets: 0,
  }),
  initial: 'listening',
  states: {
    listening: {
      on: {
        'wire.packet': [
          { guard: 'isNextInStream', actions: ['countWire', 'deliverInOrder'] },
          { guard: 'isRepeat', actions: ['countWire', 'countDuplicate'] },
          { guard: 'hasWindowRoom', actions: ['countWire', 'holdEarly'] },
          { actions: ['countWire', 'countDropped'] },
        ],
      },
    },
  },
});

/** Sample events for tests and test generation: an in-order packet, a repeat and an early one. */
export const receiverSampleEvents: readonly ReceiverEvent[] = [
  { type: 'wire.packet', vm: 0, seq: 1, payload: 1001, epoch: 1, host: 'hostA' },
  { type: 'wire.packet', vm: 0, seq: 1, payload: 1001, epoch: 1, host: 'hostB' },
  { type: 'wire.packet', vm: 0, seq: 3, payload: 1003, epoch: 2, host: 'hostB' },
];
