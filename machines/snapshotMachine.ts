// The live copy-on-write snapshot filter (M11), in the guest's block path: on start it marks the snapshot instant,
// copies an initial set at once, holds each guest write to an uncopied block until its old content is safe.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { initialSet } from '../dataplane/blocks.js';
import {
  type SnapSend,
  type SnapshotCopierEvent,
  type SnapshotEvent,
  type SnapshotStoreEvent,
  snapSend,
  type VolumeEvent,
} from './snapshotEvents.js';

export interface SnapshotInput {
  readonly volume: string;
  readonly copier: string;
  readonly store: string;
  readonly blocks: number;
  /** Blocks copied at once when the snapshot starts (the first ones: `initialSet`). */
  readonly initialCopies: number;
  readonly retransmitUs: number;
  /** Retransmission rounds without progress before the snapshot is given up (reported incomplete). */
  readonly maxRetries: number;
}

interface HeldWrite {
  readonly block: number;
  readonly data: Uint8Array;
}

export interface SnapshotContext extends SnapshotInput {
  readonly snap: number;
  /** The copy map: 1 once a block's snapshot content is safe in the store (acked), never before. */
  readonly copied: readonly number[];
  /** Copies of its own under way, per block: 1 once the old content was asked of the volume. */
  readonly reading: readonly number[];
  /** The old content of each of its own copies sent to the store and not yet acked (kept to retransmit). */
  readonly unacked: readonly (Uint8Array | null)[];
  /** Guest writes waiting for their block's copy, in arrival order. */
  readonly held: readonly HeldWrite[];
  readonly retries: number;
  readonly stats: {
    readonly initialCopies: number;
    readonly copyBeforeWrite: number;
    readonly heldWrites: number;
    readonly retransmits: number;
    readonly byCopier: number;
  };
}

type Emitted = SnapSend<VolumeEvent> | SnapSend<SnapshotStoreEvent> | SnapSend<SnapshotCopierEvent>;

export const SNAPSHOT_RETRANSMIT_ID = 'snapshot.retransmit';

/**
 * Most guest writes held at once. The disk writer keeps one outstanding, but a guest with a deeper queue would
 * overflow it: then the snapshot is given up (reported incomplete) rather than the queue growing without bound.
 */
export const HELD_MAX = 16;

function hold(c: SnapshotContext, w: HeldWrite): readonly HeldWrite[] {
  if (c.held.length >= HELD_MAX) throw new Error(`snapshot: held write ${HELD_MAX + 1} (isHeldFull not checked)`);
  return [...c.held, w];
}

function checkBlock(c: SnapshotContext, block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= c.blocks) {
    throw new Error(`snapshot: block ${block} is outside the volume's ${c.blocks} blocks`);
  }
}

function put(c: SnapshotContext, block: number, data: Uint8Array): SnapSend<SnapshotStoreEvent> {
  return snapSend(c.store, { type: 'store.put', snap: c.snap, block, data, by: 'snapshot' });
}

function volumeWrite(c: SnapshotContext, w: HeldWrite): SnapSend<VolumeEvent> {
  return snapSend(c.volume, { type: 'volume.write', block: w.block, data: w.data });
}

/** Releases, in order, every held write whose block is now in the copy map; the rest stay held. */
function release(c: SnapshotContext, copied: readonly number[]) {
  const go = c.held.filter((w) => copied[w.block] === 1);
  const held = c.held.filter((w) => copied[w.block] !== 1);
  return { held, sends: go.map((w) => volumeWrite(c, w)) };
}

/** Starts a copy of `block` of its own (old content asked of the volume) unless one is under way or it is copied. */
function startCopy(c: SnapshotContext, reading: number[], block: number, sends: Emitted[]): boolean {
  if (c.copied[block] === 1 || reading[block] === 1 || c.unacked[block] != null) return false;
  reading[block] = 1;
  sends.push(snapSend(c.volume, { type: 'volume.read', block, for: 'snapshot' }));
  return true;
}

/** Records `block` in the copy map and lets the writes that waited for it land. */
export function recordCopy(c: SnapshotContext, block: number) {
  checkBlock(c, block);
  const copied = c.copied.map((v, b) => (b === block ? 1 : v));
  const unacked = c.unacked.map((d, b) => (b === block ? null : d));
  const { held, sends } = release(c, copied);
  return { next: { copied, unacked, held, retries: 0 }, sends };
}

/** The retransmission round: every unacked copy goes again, until `maxRetries` rounds brought no ack. */
function retransmit(c: SnapshotContext) {
  const sends: Emitted[] = [];
  c.unacked.forEach((d, b) => {
    if (d != null) sends.push(put(c, b, d));
  });
  return {
    next: { retries: c.retries + 1, stats: { ...c.stats, retransmits: c.stats.retransmits + sends.length } },
    sends,
  };
}

const copierStart = (c: SnapshotContext, copied: readonly number[]) =>
  snapSend(c.copier, { type: 'copier.start' as const, snap: c.snap, copied });

export const snapshotMachine = setup({
  types: {
    context: {} as SnapshotContext,
    events: {} as SnapshotEvent,
    input: {} as SnapshotInput,
    emitted: {} as Emitted,
  },
  actions: {
    passThrough: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.write');
      checkBlock(c, event.block);
      enqueue.emit(volumeWrite(c, event));
    }),
    holdWrite: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.write');
      checkBlock(c, event.block);
      enqueue.assign({ held: hold(c, event), stats: { ...c.stats, heldWrites: c.stats.heldWrites + 1 } });
    }),
    begin: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.start');
      enqueue.assign({ snap: event.snap });
      enqueue.emit(snapSend(c.volume, { type: 'volume.begin', snap: event.snap }));
    }),
    // Behind the instant: the initial set is read at once, then the blocks of writes held meanwhile (copies before
    // write), and the copier starts from the (empty) copy map.
    copyInitialSet: enqueueActions(({ context: c, enqueue }) => {
      const reading = c.reading.slice();
      const sends: Emitted[] = [];
      for (const b of initialSet(c.blocks, c.initialCopies)) startCopy(c, reading, b, sends);
      const initial = sends.length;
      for (const w of c.held) startCopy(c, reading, w.block, sends);
      const copyBeforeWrite = c.stats.copyBeforeWrite + sends.length - initial;
      enqueue.assign({ reading, stats: { ...c.stats, initialCopies: initial, copyBeforeWrite } });
      for (const s of sends) enqueue.emit(s);
      enqueue.emit(copierStart(c, c.copied));
    }),
    // A write to a copied block lands at once; to an uncopied one it waits, and its block is copied first.
    interceptWrite: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.write');
      checkBlock(c, event.block);
      if (c.copied[event.block] === 1) {
        enqueue.emit(volumeWrite(c, event));
        return;
      }
      const reading = c.reading.slice();
      const sends: Emitted[] = [];
      const started = startCopy(c, reading, event.block, sends);
      const stats = {
        ...c.stats,
        heldWrites: c.stats.heldWrites + 1,
        copyBeforeWrite: c.stats.copyBeforeWrite + (started ? 1 : 0),
      };
      enqueue.assign({ held: hold(c, event), reading, stats });
      for (const s of sends) enqueue.emit(s);
    }),
    sendCopy: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.read');
      checkBlock(c, event.block);
      const reading = c.reading.map((r, b) => (b === event.block ? 0 : r));
      const unacked = c.unacked.map((d, b) => (b === event.block ? event.data : d));
      enqueue.assign({ reading, unacked });
      enqueue.emit(put(c, event.block, event.data));
      enqueue.raise({ type: 'snapshot.retransmit' }, { id: SNAPSHOT_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    // Only now, with the store's ack in hand, does the copy map say the block is safe.
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.putAcked');
      if (event.snap !== c.snap) return;
      const { next, sends } = recordCopy(c, event.block);
      enqueue.assign(next);
      for (const s of sends) enqueue.emit(s);
    }),
    takeCopierCopy: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'snapshot.copied');
      if (event.snap !== c.snap) return;
      const { next, sends } = recordCopy(c, event.block);
      enqueue.assign({ ...next, stats: { ...c.stats, byCopier: c.stats.byCopier + (c.copied[event.block] ? 0 : 1) } });
      for (const s of sends) enqueue.emit(s);
      enqueue.emit(copierStart(c, next.copied));
    }),
    answerResume: enqueueActions(({ context: c, enqueue }) => enqueue.emit(copierStart(c, c.copied))),
    stopCopier: enqueueActions(({ context: c, enqueue }) => enqueue.emit(snapSend(c.copier, { type: 'copier.stop' }))),
    retransmitCopies: enqueueActions(({ context: c, enqueue }) => {
      const { next, sends } = retransmit(c);
      if (sends.length === 0) return;
      enqueue.assign(next);
      for (const s of sends) enqueue.emit(s);
      enqueue.raise({ type: 'snapshot.retransmit' }, { id: SNAPSHOT_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    // Giving up: the writes waiting for copies land (the snapshot is reported incomplete, so nothing is owed).
    releaseAll: enqueueActions(({ context: c, enqueue }) => {
      for (const w of c.held) enqueue.emit(volumeWrite(c, w));
      enqueue.assign({ held: [], unacked: c.unacked.map(() => null), reading: c.reading.map(() => 0), retries: 0 });
    }),
    sendSeal: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(snapSend(c.store, { type: 'store.seal', snap: c.snap }));
      enqueue.raise({ type: 'snapshot.retransmit' }, { id: SNAPSHOT_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    sendAbandon: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(snapSend(c.store, { type: 'store.abandon' }));
      enqueue.raise({ type: 'snapshot.retransmit' }, { id: SNAPSHOT_RETRANSMIT_ID, delay: c.retransmitUs });
    }),
    countRetry: enqueueActions(({ context: c, enqueue }) => enqueue.assign({ retries: c.retries + 1 })),
    stopTimer: enqueueActions(({ enqueue }) => enqueue.cancel(SNAPSHOT_RETRANSMIT_ID)),
  },
  guards: {
    isAllCopied: ({ context }) => context.copied.every((v) => v === 1),
    isHeldFull: ({ context }) => context.held.length >= HELD_MAX,
    isOutOfRetries: ({ context }) => context.retries >= context.maxRetries,
    isCurrent: ({ context, event }) => 'snap' in event && event.snap === context.snap,
  },
}).createMachine({
  id: 'snapshot',
  context: ({ input }) => ({
    ...input,
    snap: 0,
    copied: Array.from({ length: input.blocks }, () => 0),
    reading: Array.from({ length: input.blocks }, () => 0),
    unacked: Array.from({ length: input.blocks }, () => null),
    held: [],
    retries: 0,
    stats: { initialCopies: 0, copyBeforeWrite: 0, heldWrites: 0, retransmits: 0, byCopier: 0 },
  }),
  initial: 'idle',
  on: {
    // Memory is gone: whatever snapshot was under way cannot be vouched for any more, so it is reported incomplete.
    'host.restarted': { target: '.abandoning' },
    'snapshot.write': { actions: 'passThrough' },
    'snapshot.copied': { actions: 'stopCopier' },
    'snapshot.resume': { actions: 'stopCopier' },
  },
  states: {
    idle: {
      on: { 'snapshot.start': { target: 'beginning', actions: 'begin' } },
    },
    // Until the volume has marked the instant, no write may pass: it could land on either side of it.
    beginning: {
      on: {
        'snapshot.write': [
          { guard: 'isHeldFull', target: 'abandoning', actions: ['releaseAll', 'passThrough'] },
          { actions: 'holdWrite' },
        ],
        'snapshot.resume': {},
        'snapshot.begun': { guard: 'isCurrent', target: 'copying', actions: 'copyInitialSet' },
      },
    },
    copying: {
      always: { guard: 'isAllCopied', target: 'sealing' },
      on: {
        'snapshot.write': [
          { guard: 'isHeldFull', target: 'abandoning', actions: ['releaseAll', 'passThrough'] },
          { actions: 'interceptWrite' },
        ],
        'snapshot.read': { actions: 'sendCopy' },
        'snapshot.putAcked': { actions: 'takeAck' },
        'snapshot.copied': { actions: 'takeCopierCopy' },
        'snapshot.resume': { actions: 'answerResume' },
        'snapshot.retransmit': [
          { guard: 'isOutOfRetries', target: 'abandoning', actions: 'releaseAll' },
          { actions: 'retransmitCopies' },
        ],
        'snapshot.copierFailed': { guard: 'isCurrent', target: 'abandoning', actions: 'releaseAll' },
      },
    },
    sealing: {
      entry: 'sendSeal',
      on: {
        'snapshot.copied': { actions: 'answerResume' },
        'snapshot.resume': { actions: 'answerResume' },
        'snapshot.retransmit': [
          { guard: 'isOutOfRetries', target: 'unreported' },
          { actions: ['countRetry', 'sendSeal'] },
        ],
        'snapshot.sealed': { target: 'done', actions: 'stopTimer' },
      },
    },
    abandoning: {
      entry: ['stopCopier', 'sendAbandon'],
      on: {
        'snapshot.retransmit': [
          { guard: 'isOutOfRetries', target: 'unreported' },
          { actions: ['countRetry', 'sendAbandon'] },
        ],
        'snapshot.sealed': { target: 'done', actions: 'stopTimer' },
      },
    },
    done: {},
    // The store never answered within the retries: the liveness spec reports the snapshot as never settled.
    unreported: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads (a 2-block volume). */
export const snapshotSampleEvents: readonly SnapshotEvent[] = [
  { type: 'snapshot.write', block: 1, data: new Uint8Array([0x81, 0x82]) },
  { type: 'snapshot.start', snap: 1 },
  { type: 'snapshot.begun', snap: 1 },
  { type: 'snapshot.write', block: 1, data: new Uint8Array([0x91, 0x92]) },
  { type: 'snapshot.read', block: 1, data: new Uint8Array([1, 2]) },
  { type: 'snapshot.retransmit' },
  { type: 'snapshot.putAcked', snap: 1, block: 1, stored: true },
  { type: 'snapshot.resume' },
  { type: 'snapshot.copied', snap: 1, block: 0 },
  { type: 'snapshot.copierFailed', snap: 1 },
  { type: 'snapshot.sealed', snap: 1, complete: true },
  { type: 'host.restarted' },
];
