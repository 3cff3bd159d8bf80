// De-scheduled never runs (M9, safety): a process the hypervisor asked the guest to de-schedule for a page-in is not
// dispatched on the vCPU again until that page-in has completed. Judged from the wire, never from a machine's context.

import type { LatencyPlan } from '../../actors/latency.js';
import { fail, type Monitor, payload } from './spec.js';

/** The page-in a process waits on, as the monitor saw it asked for, and whether its answer reached the pager. */
interface Waiter {
  readonly op: number;
  readonly page: number;
  readonly done: boolean;
}

type Waiting = readonly (Waiter | null)[];

interface Ids {
  readonly pid: number;
  readonly op: number;
  readonly page: number;
  readonly quantum: number;
}

/**
 * Observes the de-schedule requests the pager sends, the page-in answers the pager receives (the operation's
 * completion), and every quantum the guest dispatches (`pager.enter`). A crash of the VM host reboots the guest.
 */
export function descheduledNeverRuns(plan: LatencyPlan): Monitor<Waiting> {
  const none: Waiting = Array.from({ length: plan.processes }, () => null);
  return {
    name: 'descheduled-never-runs',
    specId: 'M9',
    description: 'A process de-scheduled for a page-in is not dispatched again before that page-in completes.',
    observesText: "the pager's de-schedule requests; the page-ins it receives; the quanta the guest dispatches",
    observes: { send: ['sched.deschedule', 'pager.enter'], deliver: ['pager.pageIn'], faults: true },
    initial: () => none,
    on(waiting, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.vmHost ? none : waiting;
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.pager) return waiting;
        const { op, page } = payload<Ids>(obs.event);
        const hit = waiting.findIndex((w) => w !== null && !w.done && w.op === op && w.page === page);
        return hit < 0 ? waiting : waiting.map((w, i) => (i === hit && w !== null ? { ...w, done: true } : w));
      }
      if (obs.kind !== 'send') return waiting;
      const e = payload<Ids>(obs.event);
      const w = waiting[e.pid];
      if (obs.event.type === 'sched.deschedule' && obs.from === plan.pager) {
        if (w !== null && w !== undefined && w.op === e.op) return waiting;
        return waiting.map((x, i) => (i === e.pid ? { op: e.op, page: e.page, done: false } : x));
      }
      if (obs.event.type !== 'pager.enter' || obs.from !== plan.guest || w === null || w === undefined) return waiting;
      if (!w.done) {
        return fail(
          `${plan.guest} dispatched process ${e.pid} (quantum ${e.quantum}) at ${obs.t} µs while it was de-scheduled for page-in op ${w.op} of page ${w.page}, which had not completed`,
        );
      }
      return waiting.map((x, i) => (i === e.pid ? null : x));
    },
  };
}
