// Planted bugs of balloon inflation (M10): each is one plausible slip in the sweep, the fault path or the driver's
// reporting, caught by a spec of `balloon-sweep` in one of its check configurations.

import { assign, enqueueActions } from 'xstate';
import { balloonDriverMachine } from '../../machines/balloonDriverMachine.js';
import { bsend } from '../../machines/balloonEvents.js';
import { pagePoolMachine, waitTimerId } from '../../machines/pagePoolMachine.js';
import {
  checkpointImage,
  reclaimSuper,
  scanSuper,
  vmMemoryMachine,
  writeBacked,
} from '../../machines/vmMemoryMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m, noop } from './define.js';

const SWEEP = 'balloon-sweep';

const sweepMutants: readonly Mutant[] = [
  m(
    'reclaim-without-recheck',
    'vmMemory',
    SWEEP,
    'race',
    'no-nonzero-reclaimed',
    'The sweep reclaims every page its scan found zero, ignoring writes that faulted on the protection since',
    () => ({
      vmMemory: vmMemoryMachine.provide({
        actions: {
          reclaim: enqueueActions(({ context, enqueue }) => {
            const { next, release } = reclaimSuper(context, false);
            enqueue.assign(next);
            if (release !== null) enqueue.emit(bsend(context.pool, release));
          }),
        },
      }),
    }),
  ),
  m(
    'super-page-with-nonzero-reclaimed',
    'vmMemory',
    SWEEP,
    'race',
    'no-nonzero-reclaimed',
    'The scan judges a 2 MiB super page zero from its first 4 KiB page, so a non-zero page further in goes with it',
    () => ({
      vmMemory: vmMemoryMachine.provide({
        actions: { scan: assign(({ context }) => scanSuper(context, true)) },
      }),
    }),
  ),
  m(
    'fault-write-lost',
    'vmMemory',
    SWEEP,
    'race',
    'memory-fidelity',
    'A write that faults on the sweep protection lifts the protection but is not replayed: the guest write is lost',
    () => ({
      vmMemory: vmMemoryMachine.provide({
        actions: {
          write: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'vmm.write') return;
            const { next, reply } = writeBacked(context, event, true);
            enqueue.assign(next);
            enqueue.emit(bsend(context.guest, reply));
          }),
        },
      }),
    }),
  ),
  m(
    'result-never-repeated',
    'balloonDriver',
    SWEEP,
    'race',
    'inflation-completes',
    'The driver reports the inflation result once; neither its retransmit timer nor a repeated command resends it',
    () => ({ balloonDriver: balloonDriverMachine.provide({ actions: { repeatResult: noop } }) }),
  ),
];

const PRESSURE = 'balloon-pressure';

export const balloonPressureMutants: readonly Mutant[] = [
  m(
    'waiter-frame-not-taken',
    'pagePool',
    PRESSURE,
    'pool',
    'frames-exclusive',
    'Released frames serve a waiting request without taking the frame off the free list, so it is handed out twice',
    () => ({
      pagePool: pagePoolMachine.provide({
        actions: {
          release: enqueueActions(({ context: c, event, enqueue }) => {
            if (event.type !== 'pool.release') return;
            const free = [...c.free, ...event.frames];
            const waiters = [...c.waiters];
            while (waiters.length > 0 && free.length > 0) {
              const w = waiters.shift() as { replyTo: string; gfn: number };
              enqueue.cancel(waitTimerId(w.replyTo));
              enqueue.emit(
                bsend(w.replyTo, { type: 'vmm.granted', gfn: w.gfn, frame: free[0] as number, queued: true }),
              );
            }
            enqueue.assign({ free, waiters });
          }),
        },
      }),
    }),
  ),
];

const checkpointMutants: readonly Mutant[] = [
  m(
    'checkpoint-sends-reclaimed',
    'vmMemory',
    SWEEP,
    'checkpoint',
    'checkpoint-image',
    'A balloon-unaware checkpoint ships every page, reclaimed ones as zero-filled pages, instead of naming them',
    () => ({
      vmMemory: vmMemoryMachine.provide({
        actions: {
          sendImage: enqueueActions(({ context: c, enqueue }) => {
            const epoch = c.stats.checkpoints + 1;
            enqueue.assign({ stats: { ...c.stats, checkpoints: epoch } });
            enqueue.emit(bsend(c.backup, { type: 'bbackup.image', ...checkpointImage(c, epoch, true) }));
          }),
        },
      }),
    }),
  ),
];

/** The planted bugs `balloon-sweep` can run: the sweep's, the fault path's, the driver's and the checkpoint's. */
export const balloonSweepMutants: readonly Mutant[] = [...sweepMutants, ...checkpointMutants];
