// Planted bugs of the memory hierarchy (M7, M8): each is one plausible slip in the MMU or the TLB, and each is
// caught by a spec of `mem-switch` in one of its check configurations.

import { assign, enqueueActions } from 'xstate';
import { nestedMmuMachine, walkPages } from '../../machines/nestedMmuMachine.js';
import { beginSlice, dropDerived, tlbMachine } from '../../machines/tlbMachine.js';
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
            const { npt, walked, stats } = walkPages(context, event.cr3, event.vpns, false);
            enqueue.assign({ npt, stats });
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
