// The hypervisor's pager of M9: every quantum the guest runs enters through it, and when the quantum touches a page
// the hypervisor swapped out, it brings the page back from the swap device, either stalling the vCPU for the whole
// read (blocking) or asking the guest scheduler to de-schedule that process and re-schedule it once the read is done.

import { and, assertEvent, enqueueActions, setup } from 'xstate';
import type { GuestSchedulerEvent, HvPagerEvent, PagerMode, SchedSend, SwapDeviceEvent } from './schedEvents.js';

/** Where a quantum's fault comes from: a seeded pattern (same faults in every mode), or the kernel's draw. */
export type FaultSource = 'pattern' | 'draw';

export const FAULT_SOURCES: readonly FaultSource[] = ['pattern', 'draw'];

export interface HvPagerInput {
  readonly guest: string;
  readonly swap: string;
  readonly mode: PagerMode;
  readonly processes: number;
  /** Share of quanta that touch a swapped-out page (%). */
  readonly faultPercent: number;
  readonly faultSource: FaultSource;
  readonly seed: number;
  /** Resend an unanswered page-in after (µs), at most `maxRetransmits` times. */
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
}

/** A page-in under way for one process. */
export interface PageIn {
  readonly op: number;
  readonly page: number;
  readonly quantum: number;
  readonly tries: number;
}

export interface HvPagerStats {
  readonly faults: number;
  readonly pageIns: number;
  readonly retransmits: number;
  /** Page-ins whose retransmissions ran out: the process waits for good (a liveness spec says so). */
  readonly gaveUp: number;
  /** Answers for a page-in no longer under way (late, duplicated, or from before a restart): ignored. */
  readonly stale: number;
  readonly exits: number;
}

export interface HvPagerContext extends HvPagerInput {
  readonly nextOp: number;
  /** The page-in under way for each process, or null. */
  readonly pending: readonly (PageIn | null)[];
  /** The quantum of each process whose page is back (it will not fault again), or -1. */
  readonly resolved: readonly number[];
  readonly stats: HvPagerStats;
}

type Emitted =
  | SchedSend<Extract<GuestSchedulerEvent, { type: 'sched.resumed' | 'sched.deschedule' | 'sched.reschedule' }>>
  | SchedSend<Extract<SwapDeviceEvent, { type: 'swap.read' }>>
  | { type: 'draw'; options: number; label: string; event: HvPagerEvent };

/** Page numbers: a process's quanta each touch their own page, so at most this many quanta per process. */
export const PAGE_STRIDE = 65_536;

export function pageOf(pid: number, quantum: number): number {
  if (quantum >= PAGE_STRIDE) throw new Error(`hvPager: quantum ${quantum} of process ${pid} is past ${PAGE_STRIDE}`);
  return pid * PAGE_STRIDE + quantum;
}

export const retryTimerId = (pid: number) => `pager.retry.${pid}`;

/** The seeded pattern: whether quantum `quantum` of `pid` touches a swapped-out page (FNV-1a over the three). */
export function patternFaults(seed: number, pid: number, quantum: number, percent: number): boolean {
  let h = 2166136261;
  for (const w of [seed >>> 0, pid, quantum]) {
    h = Math.imul(h ^ (w & 0xffff), 16777619);
    h = Math.imul(h ^ (w >>> 16), 16777619);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) % 100 < percent;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The fewest-option draw with the share: 50% is 1 of 2 options, 20% is 1 of 5, 0% and 100% are no choice at all. */
export function faultDraw(percent: number): { options: number; below: number } {
  const g = gcd(percent, 100);
  return { options: 100 / g, below: percent / g };
}

const send = <E>(to: string, event: E) => ({ type: 'send' as const, to, event });

export interface Step {
  readonly next: Partial<HvPagerContext>;
  readonly sends: readonly Emitted[];
  /** The process whose retransmission timer to (re-)arm or cancel. */
  readonly arm: number | null;
  readonly cancel: number | null;
}

/**
 * A quantum touched a swapped-out page: the read goes to the swap device, and in de-schedule mode the guest is asked
 * to park the process. `rescheduleEarly` is the planted bug that also tells it to run the process again at once.
 */
export function startPageIn(c: HvPagerContext, pid: number, quantum: number, rescheduleEarly: boolean): Step {
  const op = c.nextOp;
  const page = pageOf(pid, quantum);
  const sends: Emitted[] = [send(c.swap, { type: 'swap.read' as const, op, page })];
  if (c.mode === 'deschedule') {
    sends.push(send(c.guest, { type: 'sched.deschedule' as const, pid, op, page }));
    if (rescheduleEarly) sends.push(send(c.guest, { type: 'sched.reschedule' as const, pid, op }));
  }
  const pending = c.pending.map((p, i) => (i === pid ? { op, page, quantum, tries: 0 } : p));
  return {
    next: { nextOp: op + 1, pending, stats: { ...c.stats, faults: c.stats.faults + 1 } },
    sends,
    arm: pid,
    cancel: null,
  };
}

/** The process whose page-in `op` of `page` is under way, or -1. */
export function pendingPid(c: HvPagerContext, op: number, page: number): number {
  return c.pending.findIndex((p) => p !== null && p.op === op && p.page === page);
}

/**
 * The page is back: the process's quantum will find it. Blocking mode lets the stalled vCPU go on; de-schedule mode
 * asks the guest to re-schedule the process. `notify` false is the planted bug that forgets the re-schedule.
 */
export function completePageIn(c: HvPagerContext, op: number, page: number, notify: boolean): Step {
  const pid = pendingPid(c, op, page);
  const p = c.pending[pid];
  if (p === undefined || p === null) throw new Error(`hvPager: completion of op ${op} that is not under way`);
  const next = {
    pending: c.pending.map((x, i) => (i === pid ? null : x)),
    resolved: c.resolved.map((q, i) => (i === pid ? p.quantum : q)),
    stats: { ...c.stats, pageIns: c.stats.pageIns + 1 },
  };
  const wake =
    c.mode === 'blocking'
      ? send(c.guest, { type: 'sched.resumed' as const, pid })
      : send(c.guest, { type: 'sched.reschedule' as const, pid, op });
  return { next, sends: notify || c.mode === 'blocking' ? [wake] : [], arm: null, cancel: pid };
}

function pidOf(event: HvPagerEvent): { pid: number; quantum: number } {
  if (event.type !== 'pager.enter' && event.type !== 'pager.faultChosen') {
    throw new Error(`hvPager: '${event.type}' names no quantum`);
  }
  return { pid: event.pid, quantum: event.quantum };
}

/** What `applyStep` needs of XState's `enqueue` (so a planted bug can fold a step the same way). */
export interface PagerEnqueue {
  assign(next: Partial<HvPagerContext>): void;
  emit(e: Emitted): void;
  cancel(id: string): void;
  raise(e: HvPagerEvent, options: { id: string; delay: number }): void;
}

/** Folds a step into the actions: context, messages in order, then the retransmission timer (cancel before arm). */
export function applyStep(c: HvPagerContext, s: Step, q: PagerEnqueue): void {
  q.assign(s.next);
  for (const e of s.sends) q.emit(e);
  if (s.cancel !== null) q.cancel(retryTimerId(s.cancel));
  if (s.arm !== null) {
    q.cancel(retryTimerId(s.arm));
    q.raise({ type: 'pager.retry', pid: s.arm }, { id: retryTimerId(s.arm), delay: c.retransmitUs });
  }
}

export const hvPagerMachine = setup({
  types: {
    context: {} as HvPagerContext,
    events: {} as HvPagerEvent,
    input: {} as HvPagerInput,
    emitted: {} as Emitted,
  },
  actions: {
    resume: enqueueActions(({ context: c, event, enqueue: q }) => {
      q.emit(send(c.guest, { type: 'sched.resumed' as const, pid: pidOf(event).pid }));
    }),
    drawFault: enqueueActions(({ event, context: c, enqueue: q }) => {
      const { pid, quantum } = pidOf(event);
      const { options } = faultDraw(c.faultPercent);
      q.emit({
        type: 'draw',
        options,
        label: 'pager.fault',
        event: { type: 'pager.faultChosen', pid, quantum, value: 0 },
      });
    }),
    pageFault: enqueueActions(({ context: c, event, enqueue: q }) => {
      const { pid, quantum } = pidOf(event);
      applyStep(c, startPageIn(c, pid, quantum, false), q);
    }),
    // The process entered again with its page still on the way (only a re-schedule too early does that): it is
    // parked again on the same page-in. Blocking mode cannot get here: the pager stays stalled until the page is in.
    redeschedule: enqueueActions(({ context: c, event, enqueue: q }) => {
      const { pid } = pidOf(event);
      const p = c.pending[pid];
      if (p === undefined || p === null) throw new Error(`hvPager: process ${pid} has no page-in to wait for`);
      if (c.mode === 'blocking') throw new Error(`hvPager: process ${pid} entered while its vCPU was stalled`);
      q.emit(send(c.guest, { type: 'sched.deschedule' as const, pid, op: p.op, page: p.page }));
    }),
    completePageIn: enqueueActions(({ context: c, event, enqueue: q }) => {
      assertEvent(event, 'pager.pageIn');
      applyStep(c, completePageIn(c, event.op, event.page, true), q);
    }),
    retransmit: enqueueActions(({ context: c, event, enqueue: q }) => {
      assertEvent(event, 'pager.retry');
      const p = c.pending[event.pid] as PageIn;
      const pending = c.pending.map((x, i) => (i === event.pid ? { ...p, tries: p.tries + 1 } : x));
      q.assign({ pending, stats: { ...c.stats, retransmits: c.stats.retransmits + 1 } });
      q.emit(send(c.swap, { type: 'swap.read' as const, op: p.op, page: p.page }));
      q.cancel(retryTimerId(event.pid));
      q.raise({ type: 'pager.retry', pid: event.pid }, { id: retryTimerId(event.pid), delay: c.retransmitUs });
    }),
    giveUp: enqueueActions(({ context: c, enqueue: q }) => {
      q.assign({ stats: { ...c.stats, gaveUp: c.stats.gaveUp + 1 } });
    }),
    countStale: enqueueActions(({ context: c, enqueue: q }) => {
      q.assign({ stats: { ...c.stats, stale: c.stats.stale + 1 } });
    }),
    countExit: enqueueActions(({ context: c, enqueue: q }) => {
      q.assign({ stats: { ...c.stats, exits: c.stats.exits + 1 } });
    }),
  },
  guards: {
    isBlocking: ({ context: c }) => c.mode === 'blocking',
    isDrawSource: ({ context: c }) => c.faultSource === 'draw',
    isPagePending: ({ context: c, event }) => c.pending[pidOf(event).pid] != null,
    isPageResolved: ({ context: c, event }) => {
      const { pid, quantum } = pidOf(event);
      return c.resolved[pid] === quantum;
    },
    isPatternFault: ({ context: c, event }) => {
      const { pid, quantum } = pidOf(event);
      return patternFaults(c.seed, pid, quantum, c.faultPercent);
    },
    isDrawnFault: ({ context: c, event }) => {
      assertEvent(event, 'pager.faultChosen');
      return event.value < faultDraw(c.faultPercent).below;
    },
    isPendingPageIn: ({ context: c, event }) => {
      assertEvent(event, 'pager.pageIn');
      return pendingPid(c, event.op, event.page) >= 0;
    },
    hasRetriesLeft: ({ context: c, event }) => {
      assertEvent(event, 'pager.retry');
      const p = c.pending[event.pid];
      return p !== undefined && p !== null && p.tries < c.maxRetransmits;
    },
    isRetryPending: ({ context: c, event }) => {
      assertEvent(event, 'pager.retry');
      return c.pending[event.pid] != null;
    },
  },
}).createMachine({
  id: 'hvPager',
  context: ({ input }) => ({
    ...input,
    nextOp: 0,
    pending: Array.from({ length: input.processes }, () => null),
    resolved: Array.from({ length: input.processes }, () => -1),
    stats: { faults: 0, pageIns: 0, retransmits: 0, gaveUp: 0, stale: 0, exits: 0 },
  }),
  initial: 'ready',
  on: {
    'pager.pageIn': [{ guard: 'isPendingPageIn', actions: 'completePageIn' }, { actions: 'countStale' }],
    'pager.retry': [
      { guard: 'hasRetriesLeft', actions: 'retransmit' },
      { guard: 'isRetryPending', actions: 'giveUp' },
    ],
    'pager.exit': { actions: 'countExit' },
  },
  states: {
    // Waiting for the guest's next quantum to enter.
    ready: {
      on: {
        'pager.enter': [
          { guard: 'isPagePending', actions: 'redeschedule' },
          { guard: 'isPageResolved', actions: 'resume' },
          { guard: 'isDrawSource', target: 'deciding', actions: 'drawFault' },
          { guard: and(['isPatternFault', 'isBlocking']), target: 'stalled', actions: 'pageFault' },
          { guard: 'isPatternFault', actions: 'pageFault' },
          { actions: 'resume' },
        ],
      },
    },
    // The kernel's chooser says whether the quantum touches a swapped-out page (answered in the same step).
    deciding: {
      on: {
        'pager.faultChosen': [
          { guard: and(['isDrawnFault', 'isBlocking']), target: 'stalled', actions: 'pageFault' },
          { guard: 'isDrawnFault', target: 'ready', actions: 'pageFault' },
          { target: 'ready', actions: 'resume' },
        ],
      },
    },
    // Blocking mode: the vCPU waits for the page, running nothing, until the swap device answers.
    stalled: {
      on: { 'pager.pageIn': [{ guard: 'isPendingPageIn', target: 'ready', actions: 'completePageIn' }] },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const hvPagerSampleEvents: readonly HvPagerEvent[] = [
  { type: 'pager.enter', pid: 0, quantum: 0 },
  { type: 'pager.faultChosen', pid: 0, quantum: 0, value: 0 },
  { type: 'pager.retry', pid: 0 },
  { type: 'pager.pageIn', op: 0, page: 0 },
  { type: 'pager.exit', pid: 0, units: 4 },
];
