// Planted bugs of M9 (hiding virtualization latency): each is one plausible slip in the hypervisor's pager or the
// guest scheduler, caught by a spec of `latency-hiding` in one of its check configurations.

import { assign, enqueueActions } from 'xstate';
import { guestSchedulerMachine } from '../../machines/guestSchedulerMachine.js';
import { applyStep, completePageIn, hvPagerMachine, startPageIn } from '../../machines/hvPagerMachine.js';
import type { Mutant } from '../scenarios/types.js';

const SCENARIO = 'latency-hiding';

export const latencyMutants: readonly Mutant[] = [
  {
    name: 'rescheduled-early',
    description: 'The pager asks the guest to re-schedule the process when it sends the page-in, not when it completes',
    machine: 'hvPager',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'descheduled-never-runs',
    overrides: () => ({
      hvPager: hvPagerMachine.provide({
        actions: {
          pageFault: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'pager.enter' && event.type !== 'pager.faultChosen') return;
            applyStep(context, startPageIn(context, event.pid, event.quantum, true), enqueue);
          }),
        },
      }),
    }),
  },
  {
    name: 'deschedule-as-yield',
    description:
      'The guest scheduler takes a de-schedule request as a yield and puts the process back on the run queue',
    machine: 'guestScheduler',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'descheduled-never-runs',
    overrides: () => ({
      guestScheduler: guestSchedulerMachine.provide({
        actions: {
          parkProcess: assign(({ context: c, event }) =>
            event.type === 'sched.deschedule' ? { current: -1, queue: [...c.queue, event.pid] } : {},
          ),
        },
      }),
    }),
  },
  {
    name: 'reschedule-dropped',
    description: 'The pager takes the page in but never asks the guest to re-schedule the process waiting on it',
    machine: 'hvPager',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'rescheduled-after-completion',
    overrides: () => ({
      hvPager: hvPagerMachine.provide({
        actions: {
          completePageIn: enqueueActions(({ context, event, enqueue }) => {
            if (event.type !== 'pager.pageIn') return;
            applyStep(context, completePageIn(context, event.op, event.page, false), enqueue);
          }),
        },
      }),
    }),
  },
  {
    name: 'lost-request-never-resent',
    description: 'The pager never retransmits a page-in request, so one lost on the storage link is waited on forever',
    machine: 'hvPager',
    scenario: SCENARIO,
    config: 'lossy',
    expectedSpec: 'processes-finish',
    overrides: () => ({
      hvPager: hvPagerMachine.provide({ guards: { hasRetriesLeft: () => false } }),
    }),
  },
];
