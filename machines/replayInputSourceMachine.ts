// The outside world of a recorded VM (M6): interrupts and I/O values sent over a lossy link at fixed times, so the
// instruction count at which the recording VM takes each one depends on the network's timing, not on the guest.

import { enqueueActions, setup } from 'xstate';
import { type InputSourceEvent, type RecorderEvent, type ReplaySend, replaySend } from './replayEvents.js';

export interface ReplayInputSourceInput {
  readonly recorder: string;
  /** Inputs sent in all: interrupts and I/O values in turn, starting with an interrupt. */
  readonly inputs: number;
  readonly everyUs: number;
  readonly seed: number;
}

export interface ReplayInputSourceContext extends ReplayInputSourceInput {
  readonly sent: number;
}

export const SOURCE_TICK_ID = 'source.tick';

/** The k-th input: even ones interrupt (vectors 32..35), odd ones are a device register's value. */
export function inputOf(seed: number, k: number): RecorderEvent {
  if (k % 2 === 0) return { type: 'recorder.irq', vector: 32 + ((k / 2) % 4) };
  return { type: 'recorder.input', value: (Math.imul(seed + 1, 2654435761) + Math.imul(k, 40503)) >>> 0 };
}

export const replayInputSourceMachine = setup({
  types: {
    context: {} as ReplayInputSourceContext,
    events: {} as InputSourceEvent,
    input: {} as ReplayInputSourceInput,
    emitted: {} as ReplaySend<RecorderEvent>,
  },
  actions: {
    armTick: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'source.tick' }, { id: SOURCE_TICK_ID, delay: context.everyUs });
    }),
    sendInput: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(replaySend(c.recorder, inputOf(c.seed, c.sent)));
      enqueue.assign({ sent: c.sent + 1 });
    }),
  },
  guards: {
    hasMore: ({ context }) => context.sent < context.inputs,
  },
}).createMachine({
  id: 'replayInputSource',
  context: ({ input }) => ({ ...input, sent: 0 }),
  initial: 'next',
  states: {
    next: {
      always: [{ guard: 'hasMore', target: 'waiting', actions: 'armTick' }, { target: 'done' }],
    },
    waiting: {
      on: { 'source.tick': { target: 'next', actions: 'sendInput' } },
    },
    done: {},
  },
});

/** Sample events for tests and test generation. */
export const replayInputSourceSampleEvents: readonly InputSourceEvent[] = [{ type: 'source.tick' }];
