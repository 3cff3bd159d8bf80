// A device that reads and writes memory by DMA across its link (M14): it never gets the key, so a tagged page must
// reach it as ciphertext. One transfer at a time, resent on a lost answer a bounded number of times.

import { enqueueActions, setup } from 'xstate';
import { type CryptPlanShape, deviceCryptOp, patternBytes } from '../dataplane/crypt.js';
import type { CryptSend, DmaDeviceEvent, MemCryptEvent } from './cryptEvents.js';

export interface DmaDeviceInput extends CryptPlanShape {
  readonly memory: string;
  readonly ops: number;
  readonly opGapUs: number;
  readonly retryUs: number;
  readonly maxRetries: number;
}

export interface DmaDeviceContext extends DmaDeviceInput {
  readonly done: number;
  readonly tries: number;
  readonly stats: {
    readonly reads: number;
    readonly writes: number;
    readonly retries: number;
    readonly abandoned: number;
  };
}

export const DMA_NEXT_TIMER_ID = 'dma.next';
export const DMA_RETRY_TIMER_ID = 'dma.retry';

/** The request for transfer `done` (the id is the transfer's number, so a late answer to an old one is ignored). */
export function dmaRequest(c: DmaDeviceContext): MemCryptEvent {
  const op = deviceCryptOp(c, c.done);
  if (op.kind === 'write')
    return { type: 'mem.dmaWrite', id: c.done, pa: op.pa, data: patternBytes(op.length, op.value) };
  return { type: 'mem.dmaRead', id: c.done, pa: op.pa, length: op.length };
}

function requireInput(input: DmaDeviceInput | undefined): DmaDeviceInput {
  if (input === undefined) throw new Error('dmaDevice: started without its input (memory, ops, delays)');
  return input;
}

export const dmaDeviceMachine = setup({
  types: {
    context: {} as DmaDeviceContext,
    events: {} as DmaDeviceEvent,
    input: {} as DmaDeviceInput,
    emitted: {} as CryptSend<MemCryptEvent>,
  },
  actions: {
    armNext: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(DMA_NEXT_TIMER_ID);
      enqueue.raise({ type: 'dma.next' }, { id: DMA_NEXT_TIMER_ID, delay: c.opGapUs });
    }),
    request: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit({ type: 'send', to: c.memory, event: dmaRequest(c) });
      enqueue.cancel(DMA_RETRY_TIMER_ID);
      enqueue.raise({ type: 'dma.retry' }, { id: DMA_RETRY_TIMER_ID, delay: c.retryUs });
    }),
    countRetry: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ tries: c.tries + 1, stats: { ...c.stats, retries: c.stats.retries + 1 } });
    }),
    abandon: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ done: c.done + 1, tries: 0, stats: { ...c.stats, abandoned: c.stats.abandoned + 1 } });
    }),
    answered: enqueueActions(({ context: c, event, enqueue }) => {
      enqueue.cancel(DMA_RETRY_TIMER_ID);
      const read = event.type === 'dma.readDone';
      const s = c.stats;
      enqueue.assign({
        done: c.done + 1,
        tries: 0,
        stats: { ...s, reads: s.reads + (read ? 1 : 0), writes: s.writes + (read ? 0 : 1) },
      });
    }),
  },
  guards: {
    isFinished: ({ context: c }) => c.done >= c.ops,
    isCurrent: ({ context: c, event }) =>
      (event.type === 'dma.written' || event.type === 'dma.readDone') && event.id === c.done,
    mayRetry: ({ context: c }) => c.tries < c.maxRetries,
  },
}).createMachine({
  id: 'dmaDevice',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  // XState's initialTransition() first builds a throwaway actor without input; a device with no gap or retry delay
  // would raise its timers at once and loop, so a missing input is refused instead.
  context: ({ input }) => ({
    ...requireInput(input),
    done: 0,
    tries: 0,
    stats: { reads: 0, writes: 0, retries: 0, abandoned: 0 },
  }),
  initial: 'idle',
  states: {
    idle: {
      entry: 'armNext',
      on: {
        'dma.next': [
          { guard: 'isFinished', target: 'halted' },
          { target: 'busy', actions: 'request' },
        ],
      },
    },
    busy: {
      on: {
        'dma.written': { guard: 'isCurrent', target: 'idle', actions: 'answered' },
        'dma.readDone': { guard: 'isCurrent', target: 'idle', actions: 'answered' },
        'dma.retry': [
          { guard: 'mayRetry', actions: ['countRetry', 'request'] },
          { target: 'idle', actions: 'abandon' },
        ],
      },
    },
    halted: {},
  },
});

/** Sample events for tests and test generation. */
export const dmaDeviceSampleEvents: readonly DmaDeviceEvent[] = [
  { type: 'dma.next' },
  { type: 'dma.retry' },
  { type: 'dma.readDone', id: 0, pa: 2 ** 40, data: new Uint8Array(32) },
  { type: 'dma.next' },
  { type: 'dma.written', id: 1, pa: 32 },
];
