// Planted bugs of the live copy-on-write snapshot (M11): each is one plausible slip in the snapshot filter or its
// background copier, caught by a spec of `snapshot-live` in one of its check configurations.

import { enqueueActions } from 'xstate';
import { COPIER_RETRY_ID, snapshotCopierMachine } from '../../machines/snapshotCopierMachine.js';
import { snapSend } from '../../machines/snapshotEvents.js';
import { snapshotMachine } from '../../machines/snapshotMachine.js';
import type { Mutant } from '../scenarios/types.js';

const SCENARIO = 'snapshot-live';

export const snapshotMutants: readonly Mutant[] = [
  {
    name: 'write-without-copy',
    description: 'A guest write to a block not yet copied lands at once, without copy-before-write (M11)',
    machine: 'snapshot',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'snapshot-exact',
    overrides: () => ({
      snapshot: snapshotMachine.provide({
        actions: {
          interceptWrite: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'snapshot.write') return;
            enqueue.emit(snapSend(context.volume, { type: 'volume.write', block: event.block, data: event.data }));
          }),
        },
      }),
    }),
  },
  {
    name: 'copy-map-before-copy',
    description:
      'The copier has the block recorded in the copy map as soon as it sends the copy, before the store acks it (M11)',
    machine: 'snapshotCopier',
    scenario: SCENARIO,
    config: 'copier-crash',
    expectedSpec: 'snapshot-exact',
    overrides: () => ({
      snapshotCopier: snapshotCopierMachine.provide({
        actions: {
          storeBlock: enqueueActions(({ context: c, event, enqueue }) => {
            if (event.type !== 'copier.read') return;
            enqueue.assign({ data: event.data, retries: 0 });
            const put = {
              type: 'store.put' as const,
              snap: c.snap,
              block: c.block,
              data: event.data,
              by: 'copier' as const,
            };
            enqueue.emit(snapSend(c.store, put));
            enqueue.emit(snapSend(c.snapshot, { type: 'snapshot.copied', snap: c.snap, block: c.block }));
            enqueue.raise({ type: 'copier.retry' }, { id: COPIER_RETRY_ID, delay: c.retransmitUs });
          }),
        },
      }),
    }),
  },
  {
    name: 'copier-no-resume',
    description: 'The copier restarted after a crash waits to be told to start, so the snapshot never finishes (M11)',
    machine: 'snapshotCopier',
    scenario: SCENARIO,
    config: 'copier-crash',
    expectedSpec: 'snapshot-settles',
    overrides: () => ({
      snapshotCopier: snapshotCopierMachine.provide({ actions: { askWhereToResume: enqueueActions(() => {}) } }),
    }),
  },
];
