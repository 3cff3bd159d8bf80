// A vCPU that replays a real program's memory trace (valgrind lackey) slice by slice into the cache hierarchy, and
// stays busy for the virtual time each slice cost: so a run's duration depends on what the caches hit.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import type { MemoryTrace } from '../dataplane/cachegrind.js';
import type { CacheHierarchyEvent, MemSend, TraceCpuEvent } from './memEvents.js';

export interface TraceCpuInput {
  readonly caches: string;
  readonly trace: MemoryTrace;
  readonly sliceAccesses: number;
}

export interface TraceCpuContext extends TraceCpuInput {
  /** The next trace entry to send. */
  readonly pos: number;
  readonly slices: number;
  readonly busyNs: number;
}

export const TRACE_SLICE_TIMER_ID = 'traceCpu.slice';

/** The slice starting at `pos`: views of the trace's arrays, not copies (the trace is read-only input). */
export function sliceAt(c: TraceCpuContext, pos: number, length: number): CacheHierarchyEvent {
  const end = Math.min(pos + length, c.trace.count);
  return {
    type: 'hier.run',
    from: pos,
    kinds: c.trace.kind.subarray(pos, end),
    addrs: c.trace.addr.subarray(pos, end),
    sizes: c.trace.size.subarray(pos, end),
    final: end === c.trace.count,
  };
}

export const traceCpuMachine = setup({
  types: {
    context: {} as TraceCpuContext,
    events: {} as TraceCpuEvent,
    input: {} as TraceCpuInput,
    emitted: {} as MemSend<CacheHierarchyEvent>,
  },
  actions: {
    sendSlice: emit(({ context }) => ({
      type: 'send' as const,
      to: context.caches,
      event: sliceAt(context, context.pos, context.sliceAccesses),
    })),
    waitOutSlice: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'traceCpu.ran');
      enqueue.assign({ busyNs: context.busyNs + event.costNs, slices: context.slices + 1 });
      enqueue.cancel(TRACE_SLICE_TIMER_ID);
      const us = Math.max(1, Math.ceil(event.costNs / 1000));
      enqueue.raise({ type: 'traceCpu.resume' }, { id: TRACE_SLICE_TIMER_ID, delay: us });
    }),
    advance: assign({ pos: ({ context }) => Math.min(context.pos + context.sliceAccesses, context.trace.count) }),
  },
  guards: {
    hasMore: ({ context }) => context.pos < context.trace.count,
  },
}).createMachine({
  id: 'traceCpu',
  context: ({ input }) => ({ ...input, pos: 0, slices: 0, busyNs: 0 }),
  initial: 'deciding',
  states: {
    deciding: {
      always: [{ guard: 'hasMore', target: 'running' }, { target: 'done' }],
    },
    running: {
      entry: 'sendSlice',
      on: { 'traceCpu.ran': { target: 'resting', actions: 'waitOutSlice' } },
    },
    resting: {
      on: { 'traceCpu.resume': { target: 'deciding', actions: 'advance' } },
    },
    done: { type: 'final' },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const traceCpuSampleEvents: readonly TraceCpuEvent[] = [
  { type: 'traceCpu.ran', accesses: 4, costNs: 1500 },
  { type: 'traceCpu.resume' },
];
