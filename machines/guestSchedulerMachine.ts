// The guest OS scheduler of M9: a bounded FIFO run queue of processes sharing one vCPU in quanta. The hypervisor
// may ask it, through a paravirtual channel, to de-schedule a process whose page it is bringing back, and later to
// re-schedule it; meanwhile the scheduler runs the others, or idles when every unfinished process is waiting.

import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { GuestSchedulerEvent, HvPagerEvent, SchedSend } from './schedEvents.js';

export interface GuestSchedulerInput {
  /** The hypervisor's pager: every quantum enters through it (`pager.enter`), and exits are hinted to it. */
  readonly pager: string;
  readonly processes: number;
  /** Work units each process does in all, then it exits. */
  readonly workUnits: number;
  readonly unitsPerQuantum: number;
  /** Virtual time of one quantum on the vCPU (µs). */
  readonly quantumUs: number;
  /** Most runnable processes the run queue holds; at least `processes`, so a re-schedule always fits. */
  readonly runQueueMax: number;
}

export interface GuestSchedulerStats {
  readonly quanta: number;
  readonly unitsDone: number;
  readonly deschedules: number;
  readonly reschedules: number;
  /** Re-schedule requests for an operation the process no longer waits on (a duplicate): ignored. */
  readonly staleReschedules: number;
  readonly exits: number;
}

export interface GuestSchedulerContext extends GuestSchedulerInput {
  /** Runnable processes in the order they run next (FIFO, round robin). */
  readonly queue: readonly number[];
  /** Work units each process has done. */
  readonly done: readonly number[];
  /** The page-in operation each process is de-scheduled for, or -1 when it is not waiting. */
  readonly waiting: readonly number[];
  /** The process on the vCPU (entering or running its quantum), or -1. */
  readonly current: number;
  readonly stats: GuestSchedulerStats;
}

type Emitted = SchedSend<Extract<HvPagerEvent, { type: 'pager.enter' | 'pager.exit' }>>;

export const SCHED_QUANTUM_TIMER_ID = 'sched.quantum';

/** The quantum a process runs next: the index of the first unit of work it has not done, in quanta. */
export function nextQuantum(c: GuestSchedulerContext, pid: number): number {
  return Math.floor((c.done[pid] as number) / c.unitsPerQuantum);
}

function initialContext(input: GuestSchedulerInput): GuestSchedulerContext {
  if (input.processes < 1) throw new Error(`guestScheduler: processes ${input.processes}: at least 1 is needed`);
  if (input.runQueueMax < input.processes) {
    throw new Error(`guestScheduler: runQueueMax ${input.runQueueMax} is below processes ${input.processes}`);
  }
  const pids = Array.from({ length: input.processes }, (_, pid) => pid);
  return {
    ...input,
    queue: pids,
    done: pids.map(() => 0),
    waiting: pids.map(() => -1),
    current: -1,
    stats: { quanta: 0, unitsDone: 0, deschedules: 0, reschedules: 0, staleReschedules: 0, exits: 0 },
  };
}

/** Puts a process at the tail of the run queue; the bound holds by construction, so passing it is a bug. */
function enqueue(c: GuestSchedulerContext, pid: number): readonly number[] {
  if (c.queue.length >= c.runQueueMax) throw new Error(`guestScheduler: run queue full (${c.runQueueMax}) at ${pid}`);
  if (c.queue.includes(pid)) throw new Error(`guestScheduler: process ${pid} is queued twice`);
  return [...c.queue, pid];
}

function assertCurrent(c: GuestSchedulerContext, pid: number, what: string): void {
  if (pid !== c.current) throw new Error(`guestScheduler: ${what} for process ${pid}, but ${c.current} is on the vCPU`);
}

const set = (xs: readonly number[], i: number, v: number) => xs.map((x, j) => (j === i ? v : x));

export const guestSchedulerMachine = setup({
  types: {
    context: {} as GuestSchedulerContext,
    events: {} as GuestSchedulerEvent,
    input: {} as GuestSchedulerInput,
    emitted: {} as Emitted,
  },
  actions: {
    dispatchNext: enqueueActions(({ context: c, enqueue: q }) => {
      const [pid, ...rest] = c.queue;
      if (pid === undefined) throw new Error('guestScheduler: dispatch with an empty run queue');
      q.assign({ queue: rest, current: pid });
      q.emit({ type: 'send', to: c.pager, event: { type: 'pager.enter', pid, quantum: nextQuantum(c, pid) } });
    }),
    startQuantum: enqueueActions(({ context: c, event, enqueue: q }) => {
      assertEvent(event, 'sched.resumed');
      assertCurrent(c, event.pid, 'resumed');
      q.cancel(SCHED_QUANTUM_TIMER_ID);
      q.raise({ type: 'sched.quantumEnd', pid: event.pid }, { id: SCHED_QUANTUM_TIMER_ID, delay: c.quantumUs });
    }),
    // The quantum's work is done: the process goes to the tail of the queue, or exits when it has no work left.
    endQuantum: enqueueActions(({ context: c, event, enqueue: q }) => {
      assertEvent(event, 'sched.quantumEnd');
      const pid = event.pid;
      assertCurrent(c, pid, 'quantum end');
      const before = c.done[pid] as number;
      const units = Math.min(c.unitsPerQuantum, c.workUnits - before);
      const done = set(c.done, pid, before + units);
      const finished = before + units >= c.workUnits;
      const stats = { ...c.stats, quanta: c.stats.quanta + 1, unitsDone: c.stats.unitsDone + units };
      if (finished) {
        q.assign({ done, current: -1, stats: { ...stats, exits: stats.exits + 1 } });
        q.emit({ type: 'send', to: c.pager, event: { type: 'pager.exit', pid, units: c.workUnits } });
      } else {
        q.assign({ done, current: -1, stats, queue: enqueue(c, pid) });
      }
    }),
    // The hypervisor is bringing back a page the process touched: it waits off the run queue until told.
    parkProcess: assign(({ context: c, event }) => {
      assertEvent(event, 'sched.deschedule');
      assertCurrent(c, event.pid, 'de-schedule');
      return {
        waiting: set(c.waiting, event.pid, event.op),
        current: -1,
        stats: { ...c.stats, deschedules: c.stats.deschedules + 1 },
      };
    }),
    takeReschedule: assign(({ context: c, event }) => {
      assertEvent(event, 'sched.reschedule');
      if (c.waiting[event.pid] !== event.op) {
        return { stats: { ...c.stats, staleReschedules: c.stats.staleReschedules + 1 } };
      }
      return {
        waiting: set(c.waiting, event.pid, -1),
        queue: enqueue(c, event.pid),
        stats: { ...c.stats, reschedules: c.stats.reschedules + 1 },
      };
    }),
  },
  guards: {
    // A verdict or quantum end names the process on the vCPU; one naming another is not this quantum's, and is ignored.
    isForCurrent: ({ context: c, event }) => 'pid' in event && event.pid === c.current,
    isAllFinished: ({ context: c }) => c.done.every((d) => d >= c.workUnits),
    hasRunnable: ({ context: c }) => c.queue.length > 0,
  },
}).createMachine({
  id: 'guestScheduler',
  context: ({ input }) => initialContext(input),
  initial: 'choosing',
  on: {
    // Wherever the scheduler is, a finished page-in makes its process runnable again (it runs when its turn comes).
    'sched.reschedule': { actions: 'takeReschedule' },
  },
  states: {
    choosing: {
      always: [
        { guard: 'isAllFinished', target: 'finished' },
        { guard: 'hasRunnable', target: 'entering', actions: 'dispatchNext' },
        { target: 'idle' },
      ],
    },
    // The vCPU is in the process's quantum; the hypervisor answers whether its pages are there.
    entering: {
      on: {
        'sched.resumed': { guard: 'isForCurrent', target: 'running', actions: 'startQuantum' },
        'sched.deschedule': { guard: 'isForCurrent', target: 'choosing', actions: 'parkProcess' },
      },
    },
    running: {
      on: { 'sched.quantumEnd': { guard: 'isForCurrent', target: 'choosing', actions: 'endQuantum' } },
    },
    // Every unfinished process waits on a page-in: the vCPU has nothing to run.
    idle: {
      on: { 'sched.reschedule': { target: 'choosing', actions: 'takeReschedule' } },
    },
    finished: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const guestSchedulerSampleEvents: readonly GuestSchedulerEvent[] = [
  { type: 'sched.resumed', pid: 0 },
  { type: 'sched.quantumEnd', pid: 0 },
  { type: 'sched.deschedule', pid: 1, op: 0, page: 65536 },
  { type: 'sched.reschedule', pid: 1, op: 0 },
];
