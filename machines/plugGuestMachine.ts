// The protected VM's guest (M1, Remus): it produces numbered network outputs on its own clock, a batch per epoch,
// and hands each to the plugged buffer. Its timing is fixed so the checker explores the network, not the guest.

import { enqueueActions, setup } from 'xstate';
import { type NetOutput, type PlugGuestEvent, type PlugSend, packetData, plugSend } from './plugEvents.js';

export interface PlugGuestInput {
  /** Address of the buffer the outputs go to. */
  readonly buffer: string;
  /** Batches the guest produces, one per epoch. */
  readonly epochs: number;
  readonly packetsPerEpoch: number;
  /** Virtual µs between two outputs of a batch (and from the batch's start to its first output). */
  readonly gapUs: number;
  /** Virtual µs from the start of one batch to the start of the next (the coordinator's epoch length). */
  readonly epochUs: number;
}

export interface PlugGuestContext extends PlugGuestInput {
  /** The last output sent (0 before the first). */
  readonly seq: number;
}

export const GUEST_OUTPUT_TIMER_ID = 'guest.output';

/** Output k of batch b is due at (b-1)·epochUs + k·gapUs: the gap to the next output after output `seq`. */
export function nextGapUs(c: PlugGuestContext, seq: number): number {
  return seq % c.packetsPerEpoch === 0 ? c.epochUs - (c.packetsPerEpoch - 1) * c.gapUs : c.gapUs;
}

export const plugGuestMachine = setup({
  types: {
    context: {} as PlugGuestContext,
    events: {} as PlugGuestEvent,
    input: {} as PlugGuestInput,
    emitted: {} as PlugSend<NetOutput>,
  },
  actions: {
    armFirst: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(GUEST_OUTPUT_TIMER_ID);
      enqueue.raise({ type: 'guest.outputDue' }, { id: GUEST_OUTPUT_TIMER_ID, delay: c.gapUs });
    }),
    sendOutput: enqueueActions(({ context: c, enqueue }) => {
      const seq = c.seq + 1;
      enqueue.emit(plugSend(c.buffer, { type: 'net.output', seq, data: packetData(seq) }));
      enqueue.assign({ seq });
    }),
    armNext: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(GUEST_OUTPUT_TIMER_ID);
      enqueue.raise({ type: 'guest.outputDue' }, { id: GUEST_OUTPUT_TIMER_ID, delay: nextGapUs(c, c.seq) });
    }),
  },
  guards: {
    isLastOutput: ({ context: c }) => c.seq + 1 >= c.epochs * c.packetsPerEpoch,
  },
}).createMachine({
  id: 'plugGuest',
  context: ({ input }) => {
    if (input.epochs < 1 || input.packetsPerEpoch < 1) throw new Error('plugGuest: epochs and packetsPerEpoch >= 1');
    if (input.packetsPerEpoch * input.gapUs >= input.epochUs) {
      throw new Error('plugGuest: a batch (packetsPerEpoch × gapUs) must fit inside one epoch');
    }
    return { ...input, seq: 0 };
  },
  initial: 'producing',
  states: {
    producing: {
      entry: 'armFirst',
      on: {
        'guest.outputDue': [
          { guard: 'isLastOutput', target: 'done', actions: 'sendOutput' },
          { actions: ['sendOutput', 'armNext'] },
        ],
      },
    },
    done: { type: 'final' },
  },
});

export const plugGuestSampleEvents: readonly PlugGuestEvent[] = [{ type: 'guest.outputDue' }];
