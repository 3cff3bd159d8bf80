// The hypervisor's memory manager of one VM (M10): its pages as bytes, its mapping list (guest frame → host frame,
// 2 MiB super mappings), the zero-page sweep a balloon asks for, and demand-zero faults served by the host's pool.
//
// Race prevention: the sweep takes two steps per super page, a scan and, later, a reclaim, while guest writes keep
// arriving. The scan write-protects every zero page it finds (it becomes a candidate); a guest write to a protected
// page takes a protection fault, which drops the protection and the candidacy before the write lands. The reclaim
// then rechecks: only pages still protected are taken. A super page is taken whole only if every 4 KiB page of it
// is still a candidate; otherwise `superPolicy` splits it (its zero pages go) or keeps it intact.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import { filledPage, NO_PAGE } from '../dataplane/balloon.js';
import {
  type BalloonBackupEvent,
  type BalloonDriverEvent,
  type BalloonGuestEvent,
  type BalloonSend,
  bsend,
  type PagePoolEvent,
  type PageWrite,
  type VmMemoryEvent,
} from './balloonEvents.js';

import {
  bootContext,
  type Ctx,
  checkpointImage,
  isBacked,
  reclaimSuper,
  type SweepProgress,
  scanSuper,
  type VmMemoryInput,
  writeBacked,
  written,
} from './vmMemoryParts.js';

export * from './vmMemoryParts.js';

type Emitted = BalloonSend<BalloonDriverEvent | PagePoolEvent | BalloonGuestEvent | BalloonBackupEvent>;

export const VMM_SCAN_TIMER_ID = 'vmm.scan';
export const VMM_RECLAIM_TIMER_ID = 'vmm.reclaim';
export const VMM_CHECKPOINT_TIMER_ID = 'vmm.checkpoint';

export const vmMemoryMachine = setup({
  types: {
    context: {} as Ctx,
    events: {} as VmMemoryEvent,
    input: {} as VmMemoryInput,
    emitted: {} as Emitted,
  },
  actions: {
    startSweep: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vmm.sweep');
      enqueue.assign({
        sweep: { targetPages: event.targetPages, at: 0, reclaimedPages: 0, superPages: 0 },
        stats: { ...c.stats, sweeps: c.stats.sweeps + 1 },
      });
      enqueue.emit(bsend(c.driver, { type: 'balloon.sweepStarted' }));
    }),
    refuseSweep: emit(({ context: c }) =>
      bsend(c.driver, { type: 'balloon.sweepRefused' as const, reason: 'a sweep is already running' }),
    ),
    armCheckpoint: enqueueActions(({ context: c, enqueue }) => {
      enqueue.cancel(VMM_CHECKPOINT_TIMER_ID);
      enqueue.raise({ type: 'vmm.checkpointDue' }, { id: VMM_CHECKPOINT_TIMER_ID, delay: c.checkpointEveryUs });
    }),
    sendImage: enqueueActions(({ context: c, enqueue }) => {
      const epoch = c.stats.checkpoints + 1;
      const image = checkpointImage(c, epoch, false);
      const bytes = image.pages.length * c.pageBytes + 4 * image.reclaimed.length;
      const st = c.stats;
      const reclaimedNotSent = st.reclaimedNotSent + image.reclaimed.length;
      enqueue.assign({
        stats: { ...st, checkpoints: epoch, checkpointBytes: st.checkpointBytes + bytes, reclaimedNotSent },
      });
      enqueue.emit(bsend(c.backup, { type: 'bbackup.image', ...image }));
    }),
    armScan: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, sweepUs: c.stats.sweepUs + c.scanUs } });
      enqueue.cancel(VMM_SCAN_TIMER_ID);
      enqueue.raise({ type: 'vmm.scanDue' }, { id: VMM_SCAN_TIMER_ID, delay: c.scanUs });
    }),
    armReclaim: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, sweepUs: c.stats.sweepUs + c.reclaimDelayUs } });
      enqueue.cancel(VMM_RECLAIM_TIMER_ID);
      enqueue.raise({ type: 'vmm.reclaimDue' }, { id: VMM_RECLAIM_TIMER_ID, delay: c.reclaimDelayUs });
    }),
    scan: assign(({ context }) => scanSuper(context, false)),
    reclaim: enqueueActions(({ context, enqueue }) => {
      const { next, release } = reclaimSuper(context, true);
      enqueue.assign(next);
      if (release !== null) enqueue.emit(bsend(context.pool, release));
    }),
    reportSwept: enqueueActions(({ context: c, enqueue }) => {
      const s = c.sweep as SweepProgress;
      enqueue.emit(
        bsend(c.driver, { type: 'balloon.swept', reclaimedPages: s.reclaimedPages, superPages: s.superPages }),
      );
      enqueue.assign({ sweep: null });
    }),
    reportDeflated: emit(({ context: c }) => bsend(c.driver, { type: 'balloon.deflated' as const })),
    write: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'vmm.write');
      const { next, reply } = writeBacked(context, event, false);
      enqueue.assign(next);
      enqueue.emit(bsend(context.guest, reply));
    }),
    // Demand-zero: the page was reclaimed; a fresh frame comes from the pool before the write lands.
    askFrame: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vmm.write');
      const { gfn, offset, length, value } = event;
      enqueue.assign({ waiting: { gfn, offset, length, value } });
      enqueue.emit(bsend(c.pool, { type: 'pool.alloc', replyTo: c.self, gfn }));
    }),
    takeFrame: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vmm.granted');
      const w = c.waiting as PageWrite;
      const frameOf = c.frameOf.slice();
      frameOf[w.gfn] = event.frame;
      const pages = c.pages.slice();
      // The fresh frame is zeroed before it is mapped: it held another VM's data.
      pages[w.gfn] = filledPage(NO_PAGE, c.pageBytes, w.offset, w.length, w.value);
      const st = c.stats;
      const stats = {
        ...st,
        writes: st.writes + 1,
        demandZero: st.demandZero + 1,
        queuedGrants: st.queuedGrants + (event.queued ? 1 : 0),
      };
      enqueue.assign({ frameOf, pages, stats, waiting: null });
      enqueue.emit(bsend(c.guest, written(w, true, c.zeroFillUs, event.queued)));
    }),
    takeDenial: enqueueActions(({ context: c, enqueue }) => {
      const w = c.waiting as PageWrite;
      enqueue.assign({ waiting: null, stats: { ...c.stats, oomDenied: c.stats.oomDenied + 1 } });
      enqueue.emit(bsend(c.guest, written(w, false, 0, true)));
    }),
    read: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vmm.read');
      // A reclaimed page reads as zeros (the shared zero page): no frame is taken for a read.
      const bytes = isBacked(c, event.gfn) ? (c.pages[event.gfn] as Uint8Array) : new Uint8Array(c.pageBytes);
      enqueue.assign({ stats: { ...c.stats, reads: c.stats.reads + 1 } });
      enqueue.emit(bsend(c.guest, { type: 'bguest.readDone', gfn: event.gfn, bytes }));
    }),
  },
  guards: {
    isCheckpointing: ({ context: c }) => c.backup !== '' && c.checkpoints > 0,
    hasMoreCheckpoints: ({ context: c }) => c.stats.checkpoints + 1 < c.checkpoints,
    isBackedWrite: ({ context: c, event }) => event.type === 'vmm.write' && isBacked(c, event.gfn),
    // Answers for another page than the one waiting cannot come from a pool that answers each request once.
    isAwaitedAnswer: ({ context: c, event }) =>
      (event.type === 'vmm.granted' || event.type === 'vmm.denied') && c.waiting?.gfn === event.gfn,
    hasMoreToScan: ({ context: c }) => {
      const s = c.sweep as SweepProgress;
      return s.at < c.supers && s.reclaimedPages < s.targetPages;
    },
  },
}).createMachine({
  id: 'vmMemory',
  context: ({ input }) => bootContext(input),
  type: 'parallel',
  states: {
    sweep: {
      initial: 'idle',
      on: { 'vmm.sweep': { actions: 'refuseSweep' }, 'vmm.deflate': { actions: 'reportDeflated' } },
      states: {
        idle: {
          on: { 'vmm.sweep': { target: 'deciding', actions: 'startSweep' } },
        },
        deciding: {
          always: [
            { guard: 'hasMoreToScan', target: 'scanning' },
            { target: 'idle', actions: 'reportSwept' },
          ],
        },
        scanning: {
          entry: 'armScan',
          on: { 'vmm.scanDue': { target: 'reclaiming', actions: 'scan' } },
        },
        reclaiming: {
          entry: 'armReclaim',
          on: { 'vmm.reclaimDue': { target: 'deciding', actions: 'reclaim' } },
        },
      },
    },
    // Checkpoints to the backup (M1), taken between any two events, so reclaims and demand-zero fills race them.
    checkpoint: {
      initial: 'deciding',
      states: {
        deciding: { always: [{ guard: 'isCheckpointing', target: 'waiting' }, { target: 'done' }] },
        waiting: {
          entry: 'armCheckpoint',
          on: {
            'vmm.checkpointDue': [
              { guard: 'hasMoreCheckpoints', target: 'waiting', reenter: true, actions: 'sendImage' },
              { target: 'done', actions: 'sendImage' },
            ],
          },
        },
        done: {},
      },
    },
    // The guest has one access outstanding: a demand-zero write holds the next until the pool answers.
    access: {
      initial: 'ready',
      states: {
        ready: {
          on: {
            'vmm.read': { actions: 'read' },
            'vmm.write': [
              { guard: 'isBackedWrite', actions: 'write' },
              { target: 'faulting', actions: 'askFrame' },
            ],
          },
        },
        faulting: {
          on: {
            'vmm.granted': { guard: 'isAwaitedAnswer', target: 'ready', actions: 'takeFrame' },
            'vmm.denied': { guard: 'isAwaitedAnswer', target: 'ready', actions: 'takeDenial' },
          },
        },
      },
    },
  },
});

/**
 * Sample events for tests and test generation: one of each kind, valid in this order for a VM of 2 super pages of 2
 * pages whose page 1 alone is non-zero (the unit test's seed-24 plan).
 */
export const vmMemorySampleEvents: readonly VmMemoryEvent[] = [
  { type: 'vmm.read', gfn: 0 },
  { type: 'vmm.sweep', targetPages: 2 },
  { type: 'vmm.scanDue' },
  { type: 'vmm.write', gfn: 1, offset: 0, length: 1, value: 7 },
  { type: 'vmm.reclaimDue' },
  { type: 'vmm.write', gfn: 0, offset: 0, length: 1, value: 9 },
  { type: 'vmm.granted', gfn: 0, frame: 40, queued: false },
  { type: 'vmm.scanDue' },
  { type: 'vmm.reclaimDue' },
  { type: 'vmm.write', gfn: 2, offset: 1, length: 2, value: 5 },
  { type: 'vmm.denied', gfn: 2 },
  { type: 'vmm.deflate' },
];
