// Planted bugs of the memory hierarchy (M2, M3, M7, M8): each is one plausible slip in the MMU, TLB, cache, checkpointer
// or collector, caught by a spec of `mem-switch` or `mem-checkpoint` in one of its check configurations.

import { assign, enqueueActions } from 'xstate';
import { precopyCold } from '../../dataplane/capture.js';
import { NPT_DIRTY } from '../../dataplane/paging.js';
import { CORRECT_RULES, cacheMachine, runSlice } from '../../machines/cacheMachine.js';
import { memCheckpointerMachine } from '../../machines/memCheckpointerMachine.js';
import { memCollectorMachine, takePart } from '../../machines/memCollectorMachine.js';
import { nestedMmuMachine, walkPages } from '../../machines/nestedMmuMachine.js';
import { beginSlice, dropDerived, tlbMachine } from '../../machines/tlbMachine.js';
import { traceCpuMachine } from '../../machines/traceCpuMachine.js';
import type { Mutant } from '../scenarios/types.js';

const SCENARIO = 'mem-switch';

export const memSwitchMutants: readonly Mutant[] = [
  {
    name: 'walk-skips-t-bit',
    description: 'A nested walk reads the guest tables but leaves their NPT entries without the T bit (M7)',
    machine: 'nestedMmu',
    scenario: SCENARIO,
    config: 'tagged',
    expectedSpec: 'tlb-coherence',
    overrides: () => ({
      nestedMmu: nestedMmuMachine.provide({
        actions: {
          walkPages: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'nmmu.walk') return;
            const { npt, walked, stats, hvWrites } = walkPages(context, event.cr3, event.vpns, false);
            enqueue.assign({ npt, stats, hvWrites });
            enqueue.emit({ type: 'send', to: context.tlb, event: walked });
          }),
        },
      }),
    }),
  },
  {
    name: 'group-not-updated',
    description: "A table write drops derived entries only in the current group, not in other address spaces' (M8)",
    machine: 'tlb',
    scenario: SCENARIO,
    config: 'grouped',
    expectedSpec: 'tlb-coherence',
    overrides: () => ({
      tlb: tlbMachine.provide({
        actions: {
          dropDerived: assign(({ context, event }) =>
            event.type === 'tlb.invalidate' ? dropDerived(context, event.entries, false) : {},
          ),
        },
      }),
    }),
  },
  {
    name: 'stale-element-made-current',
    description: 'A group reclaimed for another address space is made current without emptying it (M8)',
    machine: 'tlb',
    scenario: SCENARIO,
    config: 'grouped',
    expectedSpec: 'tlb-coherence',
    overrides: () => ({
      tlb: tlbMachine.provide({
        actions: {
          beginSlice: assign(({ context, event }) =>
            event.type === 'tlb.run' ? beginSlice(context, event, false) : {},
          ),
        },
      }),
    }),
  },
  {
    name: 'silent-empty-invalidation',
    description:
      'The TLB acknowledges an invalidation only once it has ever dropped an entry, so the MMU waits forever',
    machine: 'tlb',
    scenario: SCENARIO,
    config: 'tagged',
    expectedSpec: 'slices-complete',
    overrides: () => ({
      tlb: tlbMachine.provide({
        actions: {
          ackInvalidate: enqueueActions(({ context, enqueue }) => {
            if (context.stats.dropped > 0) {
              enqueue.emit({ type: 'send', to: context.mmu, event: { type: 'nmmu.invalidated' } });
            }
          }),
        },
      }),
    }),
  },
];

const CHECKPOINT = 'mem-checkpoint';

export const memCheckpointMutants: readonly Mutant[] = [
  {
    name: 'flag-on-hypervisor-writes',
    description: "The cache sets the image-modification flag on the walker's privileged NPT writes too (M2)",
    machine: 'cache',
    scenario: CHECKPOINT,
    config: 'm2',
    expectedSpec: 'image-log-guest-only',
    overrides: () => ({
      cache: cacheMachine.provide({
        actions: {
          runSlice: assign(({ context, event }) =>
            event.type === 'cache.access'
              ? runSlice(context, event, { ...CORRECT_RULES, flagHypervisorWrites: true })
              : {},
          ),
        },
      }),
    }),
  },
  {
    name: 'log-skipped-on-eviction',
    description: 'A flagged line evicted before the checkpoint is dropped without its address reaching the log (M2)',
    machine: 'cache',
    scenario: CHECKPOINT,
    config: 'm2',
    expectedSpec: 'image-log-complete',
    overrides: () => ({
      cache: cacheMachine.provide({
        actions: {
          runSlice: assign(({ context, event }) =>
            event.type === 'cache.access' ? runSlice(context, event, { ...CORRECT_RULES, logEvictions: false }) : {},
          ),
        },
      }),
    }),
  },
  {
    name: 'precopy-clears-all-dirty',
    description: 'A pre-copy clears the dirty bit of every page, hot ones it did not send included (M3)',
    machine: 'nestedMmu',
    scenario: CHECKPOINT,
    config: 'm3',
    expectedSpec: 'mem-replica-fidelity',
    overrides: () => ({
      nestedMmu: nestedMmuMachine.provide({
        actions: {
          precopy: enqueueActions(({ context: c, event, enqueue }) => {
            if (event.type !== 'nmmu.precopy') return;
            const npt = c.npt.slice();
            const base = c.base.slice();
            const touched = c.touched.slice();
            const transfer = precopyCold(c.mem, npt, c.hostFrameOf, base, touched, event.holds);
            for (let gfn = 0; gfn < npt.length; gfn++) npt[gfn] = ((npt[gfn] as number) & ~NPT_DIRTY) >>> 0;
            enqueue.assign({ npt, base, touched });
            const reply = { type: 'ckpt.precopied' as const, epoch: event.epoch, transfer };
            enqueue.emit({ type: 'send', to: c.checkpointer ?? '', event: reply });
          }),
        },
      }),
    }),
  },
  {
    name: 'commit-before-all-parts',
    description:
      'The backup applies an epoch when its final part arrives, though a pre-copied part is still missing (M3)',
    machine: 'collector',
    scenario: CHECKPOINT,
    config: 'm3',
    expectedSpec: 'mem-replica-fidelity',
    overrides: () => ({
      collector: memCollectorMachine.provide({
        actions: {
          takePart: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'collector.part') return;
            const { next, replies } = takePart(context, event, false);
            enqueue.assign(next);
            for (const r of replies) enqueue.emit(r);
          }),
        },
      }),
    }),
  },
  {
    name: 'ignores-backup-restart',
    description: 'The checkpointer ignores the restarted backup saying it holds nothing, and keeps sending diffs (M3)',
    machine: 'checkpointer',
    scenario: CHECKPOINT,
    config: 'backup-crash',
    expectedSpec: 'checkpoints-commit',
    overrides: () => ({ checkpointer: memCheckpointerMachine.provide({ actions: { forgetBackup: assign({}) } }) }),
  },
];

const TRACE = 'mem-trace';

export const memTraceMutants: readonly Mutant[] = [
  {
    name: 'slice-skips-an-entry',
    description: 'The trace vCPU starts each next slice one entry past where the last one ended',
    machine: 'traceCpu',
    scenario: TRACE,
    config: 'crash',
    expectedSpec: 'trace-contiguous',
    overrides: () => ({
      traceCpu: traceCpuMachine.provide({
        actions: { advance: assign({ pos: ({ context }) => context.pos + context.sliceAccesses + 1 }) },
      }),
    }),
  },
  {
    name: 'last-slice-dropped',
    description: 'The trace vCPU stops when less than a whole slice is left, so the tail of the trace is never run',
    machine: 'traceCpu',
    scenario: TRACE,
    config: 'crash',
    expectedSpec: 'trace-replayed',
    overrides: () => ({
      traceCpu: traceCpuMachine.provide({
        guards: { hasMore: ({ context }) => context.pos + context.sliceAccesses <= context.trace.count },
      }),
    }),
  },
];
