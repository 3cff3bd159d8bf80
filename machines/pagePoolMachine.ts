// The host's free-page pool (M10), shared by every VM on the host: frames reclaimed by balloon sweeps come back here,
// and demand-zero writes take them. Out of frames, a request waits in a bounded queue for a bounded time, else OOM.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type BalloonSend, bsend, type PagePoolEvent, type VmMemoryEvent } from './balloonEvents.js';

export interface PagePoolInput {
  /** Free 4 KiB host frames at boot, in the order they are handed out. */
  readonly free: readonly number[];
  /** Most requests that may wait for a frame; beyond it a request is denied at once. */
  readonly queueMax: number;
  /** How long a request waits for a frame before it is denied (µs). */
  readonly waitUs: number;
}

interface Waiter {
  readonly replyTo: string;
  readonly gfn: number;
}

export interface PagePoolContext extends PagePoolInput {
  readonly waiters: readonly Waiter[];
  readonly stats: {
    readonly grants: number;
    readonly queued: number;
    readonly denied: number;
    readonly released: number;
    readonly lowWater: number;
  };
}

export const waitTimerId = (replyTo: string): string => `pool.wait.${replyTo}`;

const granted = (gfn: number, frame: number, queued: boolean): VmMemoryEvent => ({
  type: 'vmm.granted',
  gfn,
  frame,
  queued,
});

export const pagePoolMachine = setup({
  types: {
    context: {} as PagePoolContext,
    events: {} as PagePoolEvent,
    input: {} as PagePoolInput,
    emitted: {} as BalloonSend<VmMemoryEvent>,
  },
  actions: {
    alloc: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'pool.alloc');
      const { replyTo, gfn } = event;
      const st = c.stats;
      const [frame, ...rest] = c.free;
      if (frame !== undefined) {
        const lowWater = Math.min(st.lowWater, rest.length);
        enqueue.assign({ free: rest, stats: { ...st, grants: st.grants + 1, lowWater } });
        enqueue.emit(bsend(replyTo, granted(gfn, frame, false)));
        return;
      }
      if (c.waiters.length >= c.queueMax) {
        enqueue.assign({ stats: { ...st, denied: st.denied + 1 } });
        enqueue.emit(bsend(replyTo, { type: 'vmm.denied', gfn }));
        return;
      }
      enqueue.assign({ waiters: [...c.waiters, { replyTo, gfn }], stats: { ...st, queued: st.queued + 1 } });
      enqueue.cancel(waitTimerId(replyTo));
      enqueue.raise({ type: 'pool.waitExpired', replyTo }, { id: waitTimerId(replyTo), delay: c.waitUs });
    }),
    // Released frames serve the waiters first, oldest first; the rest join the free list.
    release: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'pool.release');
      const free = [...c.free, ...event.frames];
      const waiters = [...c.waiters];
      let grants = c.stats.grants;
      while (waiters.length > 0 && free.length > 0) {
        const w = waiters.shift() as Waiter;
        const frame = free.shift() as number;
        grants++;
        enqueue.cancel(waitTimerId(w.replyTo));
        enqueue.emit(bsend(w.replyTo, granted(w.gfn, frame, true)));
      }
      const released = c.stats.released + event.frames.length;
      enqueue.assign({ free, waiters, stats: { ...c.stats, grants, released } });
    }),
    expire: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'pool.waitExpired');
      const w = c.waiters.find((x) => x.replyTo === event.replyTo);
      if (w === undefined) return; // served in the same instant the timer fired
      enqueue.assign({
        waiters: c.waiters.filter((x) => x !== w),
        stats: { ...c.stats, denied: c.stats.denied + 1 },
      });
      enqueue.emit(bsend(w.replyTo, { type: 'vmm.denied', gfn: w.gfn }));
    }),
  },
  guards: {
    // A memory manager has one request outstanding at most: a second one while it waits is not a new request.
    isNewRequest: ({ context: c, event }) =>
      event.type === 'pool.alloc' && !c.waiters.some((w) => w.replyTo === event.replyTo),
  },
}).createMachine({
  id: 'pagePool',
  context: ({ input }) => ({
    ...input,
    waiters: [],
    stats: { grants: 0, queued: 0, denied: 0, released: 0, lowWater: input.free.length },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'pool.alloc': { guard: 'isNewRequest', actions: 'alloc' },
        'pool.release': { actions: 'release' },
        'pool.waitExpired': { actions: 'expire' },
      },
    },
  },
});

/** Sample events for tests and test generation (a pool booted with no free frames and a queue of one). */
export const pagePoolSampleEvents: readonly PagePoolEvent[] = [
  { type: 'pool.alloc', replyTo: 'host0/vm0/memory', gfn: 3 },
  { type: 'pool.alloc', replyTo: 'host0/vm1/memory', gfn: 1 },
  { type: 'pool.release', vm: 1, gfns: [0, 2], frames: [8, 10] },
  { type: 'pool.alloc', replyTo: 'host0/vm1/memory', gfn: 1 },
  { type: 'pool.waitExpired', replyTo: 'host0/vm0/memory' },
];
