// Re-scheduled after its page-in (M9, liveness): once the page-in a de-scheduled process waits on has completed,
// the guest dispatches that process again within a bound in virtual time. A lost re-schedule request stalls it.

import type { LatencyPlan } from '../../actors/latency.js';
import type { Deadline, Monitor } from './spec.js';
import { payload } from './spec.js';

/** A de-scheduled process's page-in, and when its answer reached the pager (-1: not yet). */
interface Parked {
  readonly op: number;
  readonly page: number;
  readonly completedAt: number;
}

type ParkedAll = readonly (Parked | null)[];

interface Ids {
  readonly pid: number;
  readonly op: number;
  readonly page: number;
}

export function rescheduledAfterPageIn(plan: LatencyPlan, boundUs: number): Monitor<ParkedAll> {
  const none: ParkedAll = Array.from({ length: plan.processes }, () => null);
  return {
    name: 'rescheduled-after-completion',
    specId: 'M9',
    description: `A de-scheduled process is dispatched again within ${boundUs} µs of its page-in completing.`,
    observesText: "the pager's de-schedule requests; the page-ins it receives; the quanta the guest dispatches",
    observes: { send: ['sched.deschedule', 'pager.enter'], deliver: ['pager.pageIn'], faults: true },
    initial: () => none,
    on(parked, obs) {
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.vmHost ? none : parked;
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.pager) return parked;
        const { op, page } = payload<Ids>(obs.event);
        const hit = parked.findIndex((p) => p !== null && p.completedAt < 0 && p.op === op && p.page === page);
        return hit < 0 ? parked : parked.map((p, i) => (i === hit && p !== null ? { ...p, completedAt: obs.t } : p));
      }
      if (obs.kind !== 'send') return parked;
      const e = payload<Ids>(obs.event);
      if (obs.event.type === 'sched.deschedule' && obs.from === plan.pager) {
        if (parked[e.pid]?.op === e.op) return parked;
        return parked.map((p, i) => (i === e.pid ? { op: e.op, page: e.page, completedAt: -1 } : p));
      }
      // Dispatched again after the page-in: the obligation is met (dispatch before it is the safety spec's).
      if (obs.event.type === 'pager.enter' && obs.from === plan.guest && (parked[e.pid]?.completedAt ?? -1) >= 0) {
        return parked.map((p, i) => (i === e.pid ? null : p));
      }
      return parked;
    },
    deadline(parked): Deadline | null {
      let first: Deadline | null = null;
      parked.forEach((p, pid) => {
        if (p === null || p.completedAt < 0) return;
        const atUs = p.completedAt + boundUs;
        if (first === null || atUs < first.atUs) {
          first = {
            atUs,
            what: `process ${pid} dispatched again after its page-in op ${p.op} completed at ${p.completedAt} µs`,
          };
        }
      });
      return first;
    },
  };
}
