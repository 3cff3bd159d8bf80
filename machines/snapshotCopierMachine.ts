// The background copier of a live snapshot (M11): from the copy map it takes the next uncopied block, reads it,
// stores it (retransmitting on loss), and only once the store acks tells the filter to record it in the map.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { nextUncopied } from '../dataplane/blocks.js';
import {
  type SnapSend,
  type SnapshotCopierEvent,
  type SnapshotEvent,
  type SnapshotStoreEvent,
  snapSend,
  type VolumeEvent,
} from './snapshotEvents.js';

export interface SnapshotCopierInput {
  readonly snapshot: string;
  readonly volume: string;
  readonly store: string;
  readonly retransmitUs: number;
  /** Resends of one block's copy before the copier gives up and says so. */
  readonly maxRetries: number;
}

export interface SnapshotCopierContext extends SnapshotCopierInput {
  readonly snap: number;
  /** The copy map as the filter last sent it. */
  readonly copied: readonly number[];
  readonly block: number;
  /** The block's old content, kept until the store acks it. */
  readonly data: Uint8Array | null;
  readonly retries: number;
  readonly stats: { readonly copies: number; readonly retransmits: number; readonly resumes: number };
}

type Emitted = SnapSend<VolumeEvent> | SnapSend<SnapshotStoreEvent> | SnapSend<SnapshotEvent>;

export const COPIER_RETRY_ID = 'copier.retry';

function putOf(c: SnapshotCopierContext, data: Uint8Array): SnapSend<SnapshotStoreEvent> {
  return snapSend(c.store, { type: 'store.put', snap: c.snap, block: c.block, data, by: 'copier' });
}

export const snapshotCopierMachine = setup({
  types: {
    context: {} as SnapshotCopierContext,
    events: {} as SnapshotCopierEvent,
    input: {} as SnapshotCopierInput,
    emitted: {} as Emitted,
  },
  actions: {
    takeMap: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'copier.start');
      enqueue.assign({ snap: event.snap, copied: event.copied, block: nextUncopied(event.copied), data: null });
    }),
    readBlock: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(snapSend(c.volume, { type: 'volume.read', block: c.block, for: 'copier' }));
    }),
    storeBlock: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'copier.read');
      enqueue.assign({ data: event.data, retries: 0 });
      enqueue.emit(putOf(c, event.data));
      enqueue.raise({ type: 'copier.retry' }, { id: COPIER_RETRY_ID, delay: c.retransmitUs });
    }),
    resend: enqueueActions(({ context: c, enqueue }) => {
      if (c.data === null) throw new Error(`copier: a retry of block ${c.block} with nothing read`);
      enqueue.assign({ retries: c.retries + 1, stats: { ...c.stats, retransmits: c.stats.retransmits + 1 } });
      enqueue.emit(putOf(c, c.data));
      enqueue.raise({ type: 'copier.retry' }, { id: COPIER_RETRY_ID, delay: c.retransmitUs });
    }),
    // The block is safe in the store: only now may the copy map say so.
    recordCopy: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(COPIER_RETRY_ID);
      enqueue.assign({ data: null, stats: { ...c.stats, copies: c.stats.copies + 1 } });
      enqueue.emit(snapSend(c.snapshot, { type: 'snapshot.copied', snap: c.snap, block: c.block }));
    }),
    giveUp: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ data: null });
      enqueue.emit(snapSend(c.snapshot, { type: 'snapshot.copierFailed', snap: c.snap }));
    }),
    askWhereToResume: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, resumes: c.stats.resumes + 1 } });
      enqueue.emit(snapSend(c.snapshot, { type: 'snapshot.resume' }));
    }),
    forget: enqueueActions(({ enqueue }) => {
      enqueue.cancel(COPIER_RETRY_ID);
      enqueue.assign({ data: null, block: -1 });
    }),
  },
  guards: {
    hasWork: ({ context }) => context.block >= 0,
    // A read of another block is an old request's answer (from before a stop): not this copy's content.
    isThisRead: ({ context, event }) => event.type === 'copier.read' && event.block === context.block,
    isThisBlock: ({ context, event }) =>
      event.type === 'copier.putAcked' && event.snap === context.snap && event.block === context.block,
    isOutOfRetries: ({ context }) => context.retries >= context.maxRetries,
  },
}).createMachine({
  id: 'snapshotCopier',
  context: ({ input }) => ({
    ...input,
    snap: 0,
    copied: [],
    block: -1,
    data: null,
    retries: 0,
    stats: { copies: 0, retransmits: 0, resumes: 0 },
  }),
  initial: 'idle',
  on: {
    'copier.stop': { target: '.idle', actions: 'forget' },
  },
  states: {
    idle: {
      on: {
        'copier.start': { target: 'picking', actions: 'takeMap' },
        // Restarted after a crash: the copy map survived in the filter, so it asks for it and resumes from it.
        'host.restarted': { actions: 'askWhereToResume' },
      },
    },
    picking: {
      always: [{ guard: 'hasWork', target: 'reading', actions: 'readBlock' }, { target: 'idle' }],
    },
    reading: {
      on: { 'copier.read': { guard: 'isThisRead', target: 'storing', actions: 'storeBlock' } },
    },
    storing: {
      on: {
        'copier.putAcked': { guard: 'isThisBlock', target: 'recording', actions: 'recordCopy' },
        'copier.retry': [{ guard: 'isOutOfRetries', target: 'idle', actions: 'giveUp' }, { actions: 'resend' }],
      },
    },
    // The filter answers with the updated copy map, which names the next block.
    recording: {
      on: { 'copier.start': { target: 'picking', actions: 'takeMap' } },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads (a 2-block volume). */
export const snapshotCopierSampleEvents: readonly SnapshotCopierEvent[] = [
  { type: 'copier.start', snap: 1, copied: [0, 0] },
  { type: 'copier.read', block: 1, data: new Uint8Array([1, 2]) },
  { type: 'copier.retry' },
  { type: 'copier.putAcked', snap: 1, block: 1, stored: true },
  { type: 'copier.start', snap: 1, copied: [0, 1] },
  { type: 'copier.stop' },
  { type: 'host.restarted' },
];
