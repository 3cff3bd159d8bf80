// The outside world: every packet either NIC puts on the wire ends up here, one stream per VM (SPEC.md M1).
// Like TCP it delivers each sequence number once, in order, and drops duplicates; exactly-once reads its streams.

import { assertEvent, assign, setup } from 'xstate';
import { DIGEST_SEED, streamStep } from '../actors/guest.js';
import type { ReceiverEvent, VmId } from './haEvents.js';

export interface ReceiverInput {
  /** All VMs, checkpointing or not. */
  readonly vms: readonly VmId[];
}

export interface StreamState {
  /** Next expected seq; starts at 1. */
  readonly next: number;
  readonly delivered: number;
  /** streamStep over the delivered payloads, from DIGEST_SEED. */
  readonly digest: number;
  readonly duplicates: number;
  /** Packets that skipped ahead of `next`: lost or reordered output, which the exactly-once spec flags. */
  readonly gaps: number;
  /** Host whose NIC put the last delivered packet on the wire ('' before the first). */
  readonly lastHost: string;
}

export interface ReceiverContext {
  /** Keyed String(vm). */
  readonly streams: Readonly<Record<string, StreamState>>;
  readonly wirePackets: number;
  readonly hostsSeen: readonly string[];
}

const EMPTY_STREAM: StreamState = Object.freeze({
  next: 1,
  delivered: 0,
  digest: DIGEST_SEED,
  duplicates: 0,
  gaps: 0,
  lastHost: '',
});

/** The packet's stream, or a fresh one for a VM the receiver was not told about. */
function streamOf(context: ReceiverContext, vm: VmId): StreamState {
  return context.streams[String(vm)] ?? EMPTY_STREAM;
}

function withStream(context: ReceiverContext, vm: VmId, stream: StreamState): Record<string, StreamState> {
  return { ...context.streams, [String(vm)]: stream };
}

export const receiverMachine = setup({
  types: {
    context: {} as ReceiverContext,
    events: {} as ReceiverEvent,
    input: {} as ReceiverInput,
  },
  actions: {
    recordPacket: assign(({ context, event }) => ({
      wirePackets: context.wirePackets + 1,
      hostsSeen: context.hostsSeen.includes(event.host) ? context.hostsSeen : [...context.hostsSeen, event.host],
      // Created here, so every branch below finds the stream in place.
      streams:
        context.streams[String(event.vm)] === undefined ? withStream(context, event.vm, EMPTY_STREAM) : context.streams,
    })),
    deliver: assign(({ context, event }) => {
      assertEvent(event, 'wire.packet');
      const s = streamOf(context, event.vm);
      return {
        streams: withStream(context, event.vm, {
          ...s,
          next: s.next + 1,
          delivered: s.delivered + 1,
          digest: streamStep(s.digest, event.payload),
          lastHost: event.host,
        }),
      };
    }),
    countDuplicate: assign(({ context, event }) => {
      const s = streamOf(context, event.vm);
      return { streams: withStream(context, event.vm, { ...s, duplicates: s.duplicates + 1 }) };
    }),
    countGap: assign(({ context, event }) => {
      const s = streamOf(context, event.vm);
      return { streams: withStream(context, event.vm, { ...s, gaps: s.gaps + 1 }) };
    }),
  },
  guards: {
    isNextInStream: ({ context, event }) => event.seq === streamOf(context, event.vm).next,
    isDuplicate: ({ context, event }) => event.seq < streamOf(context, event.vm).next,
  },
}).createMachine({
  id: 'receiver',
  context: ({ input }) => ({
    streams: Object.fromEntries(input.vms.map((vm) => [String(vm), EMPTY_STREAM])),
    wirePackets: 0,
    hostsSeen: [],
  }),
  initial: 'listening',
  states: {
    listening: {
      on: {
        'wire.packet': [
          { guard: 'isNextInStream', actions: ['recordPacket', 'deliver'] },
          { guard: 'isDuplicate', actions: ['recordPacket', 'countDuplicate'] },
          { actions: ['recordPacket', 'countGap'] },
        ],
      },
    },
  },
});

/** Sample events for tests and test generation: the one kind, as a delivery, a duplicate and a gap. */
export const receiverSampleEvents: readonly ReceiverEvent[] = [
  { type: 'wire.packet', vm: 0, seq: 1, payload: 1001, epoch: 1, host: 'hostA' },
  { type: 'wire.packet', vm: 0, seq: 1, payload: 1001, epoch: 1, host: 'hostB' },
  { type: 'wire.packet', vm: 0, seq: 3, payload: 1003, epoch: 2, host: 'hostB' },
];
