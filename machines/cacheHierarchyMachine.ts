// Cachegrind's I1/D1/LL hierarchy as an actor: it takes a traced program's slices, counts exactly what cachegrind
// counts, charges the slice's misses in virtual time, and sums what each epoch's writes would cost a checkpoint.

import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  type Cachegrind,
  type CachegrindConfig,
  cachegrindAccess,
  cloneCachegrind,
  createCachegrind,
} from '../dataplane/cachegrind.js';
import { epochBytes, mergeWords, writtenWords } from '../dataplane/epochCost.js';
import type { CacheHierarchyEvent, MemSend, TraceCpuEvent } from './memEvents.js';

export interface CacheHierarchyInput {
  readonly cpu: string;
  readonly config: CachegrindConfig;
  /** Trace entries per checkpoint epoch (the epoch ends with the slice that reaches it). */
  readonly epochAccesses: number;
  /** Virtual ns of an access, an L1 miss that LL serves, and an LL miss (memory). */
  readonly accessNs: number;
  readonly l1MissNs: number;
  readonly llMissNs: number;
}

export interface EpochTotals {
  readonly epochs: number;
  readonly page: number;
  readonly m2: number;
  readonly m3: number;
}

export interface CacheHierarchyContext extends CacheHierarchyInput {
  readonly sim: Cachegrind;
  /** Distinct words written in the epoch under way, sorted; and its entries so far. */
  readonly epochWords: Float64Array;
  readonly epochEntries: number;
  readonly totals: EpochTotals;
}

const L1_MISSES = [1, 4, 7];
const LL_MISSES = [2, 5, 8];

function sum(counts: Float64Array, at: readonly number[]): number {
  return at.reduce((s, i) => s + (counts[i] as number), 0);
}

/** One slice through a copy of the simulator, and the epoch bookkeeping that follows it. */
export function runSlice(c: CacheHierarchyContext, e: CacheHierarchyEvent) {
  const sim = cloneCachegrind(c.sim);
  const before = sim.counts.slice();
  for (let i = 0; i < e.kinds.length; i++) {
    cachegrindAccess(sim, e.kinds[i] as number, e.addrs[i] as number, e.sizes[i] as number);
  }
  const l1 = sum(sim.counts, L1_MISSES) - sum(before, L1_MISSES);
  const ll = sum(sim.counts, LL_MISSES) - sum(before, LL_MISSES);
  const costNs = e.kinds.length * c.accessNs + l1 * c.l1MissNs + ll * c.llMissNs;
  const trace = { kind: e.kinds, addr: e.addrs, size: e.sizes, count: e.kinds.length };
  let epochWords = mergeWords(c.epochWords, writtenWords(trace, 0, e.kinds.length));
  let epochEntries = c.epochEntries + e.kinds.length;
  let totals = c.totals;
  if (epochEntries >= c.epochAccesses || e.final) {
    const b = epochBytes(epochWords, c.config.D1.lineBytes);
    totals = { epochs: totals.epochs + 1, page: totals.page + b.page, m2: totals.m2 + b.m2, m3: totals.m3 + b.m3 };
    epochWords = new Float64Array(0);
    epochEntries = 0;
  }
  return { next: { sim, epochWords, epochEntries, totals }, costNs };
}

export const cacheHierarchyMachine = setup({
  types: {
    context: {} as CacheHierarchyContext,
    events: {} as CacheHierarchyEvent,
    input: {} as CacheHierarchyInput,
    emitted: {} as MemSend<TraceCpuEvent>,
  },
  actions: {
    runSlice: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'hier.run');
      const { next, costNs } = runSlice(context, event);
      enqueue.assign(next);
      const ran = { type: 'traceCpu.ran' as const, accesses: event.kinds.length, costNs };
      enqueue.emit({ type: 'send', to: context.cpu, event: ran });
    }),
  },
}).createMachine({
  id: 'cacheHierarchy',
  context: ({ input }) => ({
    ...input,
    sim: createCachegrind(input.config),
    epochWords: new Float64Array(0),
    epochEntries: 0,
    totals: { epochs: 0, page: 0, m2: 0, m3: 0 },
  }),
  initial: 'simulating',
  states: {
    simulating: { on: { 'hier.run': { actions: 'runSlice' } } },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const cacheHierarchySampleEvents: readonly CacheHierarchyEvent[] = [
  {
    type: 'hier.run',
    from: 0,
    kinds: Uint8Array.from([0, 1, 2, 3]),
    addrs: Float64Array.from([0x400000, 0x1ffefff000, 0x1ffefff008, 0x601040]),
    sizes: Uint16Array.from([4, 8, 8, 4]),
    final: true,
  },
];
