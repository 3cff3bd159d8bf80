// Snapshot storage on a storage host across a link (M11): each block of a snapshot is written once (a later put of
// it is a retransmission or a re-copy, never older content) and acked; it seals the snapshot complete or incomplete.

import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  type SnapSend,
  type SnapshotCopierEvent,
  type SnapshotEvent,
  type SnapshotStoreEvent,
  snapSend,
} from './snapshotEvents.js';

export interface SnapshotStoreInput {
  readonly snapshot: string;
  readonly copier: string;
  readonly blocks: number;
}

export type Verdict = 'none' | 'open' | 'complete' | 'incomplete';

export interface SnapshotStoreContext extends SnapshotStoreInput {
  readonly snap: number;
  readonly verdict: Verdict;
  readonly stored: readonly (Uint8Array | null)[];
  readonly stats: { readonly puts: number; readonly stored: number; readonly kept: number };
}

type Emitted = SnapSend<SnapshotEvent> | SnapSend<SnapshotCopierEvent>;

type Put = Extract<SnapshotStoreEvent, { type: 'store.put' }>;

/** Takes one put: a newer snapshot opens (empty); a block already held, or a sealed snapshot's, is acked but kept. */
export function takePut(c: SnapshotStoreContext, e: Put) {
  if (!Number.isInteger(e.block) || e.block < 0 || e.block >= c.blocks) {
    throw new Error(`snapshotStore: block ${e.block} is outside the volume's ${c.blocks} blocks`);
  }
  const fresh = e.snap > c.snap;
  const base = fresh ? { snap: e.snap, verdict: 'open' as Verdict, stored: c.stored.map(() => null) } : c;
  const accept = base.verdict === 'open' && e.snap === base.snap && base.stored[e.block] === null;
  const stored = accept ? base.stored.map((d, b) => (b === e.block ? e.data : d)) : base.stored;
  const stats = {
    puts: c.stats.puts + 1,
    stored: c.stats.stored + (accept ? 1 : 0),
    kept: c.stats.kept + (accept ? 0 : 1),
  };
  const ack = { snap: e.snap, block: e.block, stored: accept };
  const reply =
    e.by === 'snapshot'
      ? snapSend(c.snapshot, { type: 'snapshot.putAcked' as const, ...ack })
      : snapSend(c.copier, { type: 'copier.putAcked' as const, ...ack });
  return { next: { snap: base.snap, verdict: base.verdict, stored, stats }, reply };
}

function verdictOf(c: SnapshotStoreContext, verdict: Verdict): SnapSend<SnapshotEvent> {
  return snapSend(c.snapshot, { type: 'snapshot.sealed', snap: c.snap, complete: verdict === 'complete' });
}

export const snapshotStoreMachine = setup({
  types: {
    context: {} as SnapshotStoreContext,
    events: {} as SnapshotStoreEvent,
    input: {} as SnapshotStoreInput,
    emitted: {} as Emitted,
  },
  actions: {
    takePut: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'store.put');
      const { next, reply } = takePut(context, event);
      enqueue.assign(next);
      enqueue.emit(reply);
    }),
    // The filter seals once its copy map is full; the store trusts it (it is the filter's map that vouches).
    seal: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'store.seal');
      const verdict = c.verdict === 'open' && event.snap === c.snap ? 'complete' : c.verdict;
      enqueue.assign({ verdict });
      enqueue.emit(verdictOf(c, verdict));
    }),
    abandon: enqueueActions(({ context: c, enqueue }) => {
      const verdict = c.verdict === 'complete' ? 'complete' : 'incomplete';
      enqueue.assign({ verdict });
      enqueue.emit(verdictOf(c, verdict));
    }),
  },
}).createMachine({
  id: 'snapshotStore',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    snap: 0,
    verdict: 'none',
    stored: Array.from({ length: input.blocks }, () => null),
    stats: { puts: 0, stored: 0, kept: 0 },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'store.put': { actions: 'takePut' },
        'store.seal': { actions: 'seal' },
        'store.abandon': { actions: 'abandon' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads (a 2-block volume). */
export const snapshotStoreSampleEvents: readonly SnapshotStoreEvent[] = [
  { type: 'store.put', snap: 1, block: 0, data: new Uint8Array([1, 2]), by: 'snapshot' },
  { type: 'store.put', snap: 1, block: 0, data: new Uint8Array([0x81, 0x82]), by: 'copier' },
  { type: 'store.put', snap: 1, block: 1, data: new Uint8Array([3, 4]), by: 'copier' },
  { type: 'store.seal', snap: 1 },
  { type: 'store.abandon' },
];
