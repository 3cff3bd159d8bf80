// Unit tests of M9's guest scheduler: round-robin dispatch through the pager, quanta on their timer, exits, parking a
// de-scheduled process and taking it back only for its own operation, idling, the queue bound; and a plain actor.

import { describe, expect, it } from 'vitest';
import {
  type GuestSchedulerInput,
  guestSchedulerMachine,
  guestSchedulerSampleEvents,
  SCHED_QUANTUM_TIMER_ID,
} from '../../machines/guestSchedulerMachine.js';
import type { GuestSchedulerEvent } from '../../machines/schedEvents.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const PAGER = 'vmhost/vm0/pager';
/** Two processes of three units, two units a quantum: each runs a full quantum, then a one-unit quantum. */
const input: GuestSchedulerInput = {
  pager: PAGER,
  processes: 2,
  workUnits: 3,
  unitsPerQuantum: 2,
  quantumUs: 10,
  runQueueMax: 2,
};

const enter = (pid: number, quantum: number) => ({ to: PAGER, event: { type: 'pager.enter', pid, quantum } });
const exit = (pid: number) => ({ to: PAGER, event: { type: 'pager.exit', pid, units: 3 } });
const resumed = (pid: number): GuestSchedulerEvent => ({ type: 'sched.resumed', pid });
const end = (pid: number): GuestSchedulerEvent => ({ type: 'sched.quantumEnd', pid });
const park = (pid: number, op: number): GuestSchedulerEvent => ({ type: 'sched.deschedule', pid, op, page: 9 });
const wake = (pid: number, op: number): GuestSchedulerEvent => ({ type: 'sched.reschedule', pid, op });

type Sched = Driver<typeof guestSchedulerMachine>;
const boot = (i: GuestSchedulerInput = input): Sched => new Driver(guestSchedulerMachine, i);

describe('guestSchedulerMachine', () => {
  it('boots with every process runnable and dispatches the first through the pager', () => {
    const d = boot();
    expect(d.value).toBe('entering');
    expect(sendsOf(d.last.actions)).toEqual([enter(0, 0)]);
    expect(d.context).toMatchObject({ queue: [1], current: 0, done: [0, 0], waiting: [-1, -1] });
  });

  it('runs a quantum on its timer once the pager lets it in, then goes round robin', () => {
    const d = boot();
    const out = d.send(resumed(0));
    expect(d.value).toBe('running');
    expect(cancelsOf(out.actions)).toEqual([SCHED_QUANTUM_TIMER_ID]);
    expect(timersOf(out.actions)).toEqual([{ id: SCHED_QUANTUM_TIMER_ID, delay: 10, type: 'sched.quantumEnd' }]);
    expect(sendsOf(d.send(end(0)).actions)).toEqual([enter(1, 0)]);
    expect(d.context).toMatchObject({ queue: [0], current: 1, done: [2, 0] });
    expect(d.context.stats).toMatchObject({ quanta: 1, unitsDone: 2 });
  });

  it('a last short quantum does only the units left, the process exits with a hint, and all done is finished', () => {
    const d = boot();
    d.sendAll([resumed(0), end(0), resumed(1), end(1)]);
    expect(sendsOf(d.last.actions)).toEqual([enter(0, 1)]);
    d.send(resumed(0));
    expect(sendsOf(d.send(end(0)).actions)).toEqual([exit(0), enter(1, 1)]);
    d.send(resumed(1));
    expect(sendsOf(d.send(end(1)).actions)).toEqual([exit(1)]);
    expect(d.value).toBe('finished');
    expect(d.context.done).toEqual([3, 3]);
    expect(d.context.stats).toMatchObject({ quanta: 4, unitsDone: 6, exits: 2 });
  });

  it('parks a de-scheduled process off the run queue and runs the next one meanwhile', () => {
    const d = boot();
    const out = d.send(park(0, 4));
    expect(sendsOf(out.actions)).toEqual([enter(1, 0)]);
    expect(d.context).toMatchObject({ queue: [], current: 1, waiting: [4, -1] });
    expect(d.context.stats.deschedules).toBe(1);
  });

  it('idles when every unfinished process waits, and dispatches the first one re-scheduled', () => {
    const d = boot();
    d.sendAll([park(0, 4), park(1, 5)]);
    expect(d.value).toBe('idle');
    const out = d.send(wake(1, 5));
    expect(sendsOf(out.actions)).toEqual([enter(1, 0)]);
    expect(d.context).toMatchObject({ waiting: [4, -1], current: 1, queue: [] });
  });

  it('a re-schedule puts the process at the tail of the queue behind the running one', () => {
    const d = boot({ ...input, processes: 2 });
    d.sendAll([park(0, 4), resumed(1)]);
    expect(sendsOf(d.send(wake(0, 4)).actions)).toEqual([]);
    expect(d.context).toMatchObject({ queue: [0], waiting: [-1, -1], current: 1 });
    expect(sendsOf(d.send(end(1)).actions)).toEqual([enter(0, 0)]);
  });

  it('ignores a re-schedule for another operation, or for a process that is not waiting (a duplicate)', () => {
    const d = boot();
    d.sendAll([park(0, 4), park(1, 5)]);
    d.send(wake(0, 3));
    expect(d.value).toBe('idle');
    d.send(wake(0, 4));
    d.send(wake(0, 4));
    expect(d.context.stats).toMatchObject({ reschedules: 1, staleReschedules: 2 });
    expect(d.context.queue).toEqual([]);
  });

  it('ignores a verdict for a process not on the vCPU, and refuses a run queue smaller than the processes', () => {
    const d = boot();
    d.sendAll([resumed(1), park(1, 3), end(0)]);
    expect(d.value).toBe('entering');
    expect(d.context).toMatchObject({ current: 0, waiting: [-1, -1], queue: [1] });
    // XState keeps an error thrown while making the context in the snapshot: the machine does not start.
    const failed = (i: GuestSchedulerInput) => String((boot(i).snapshot as { error?: unknown }).error);
    expect(failed({ ...input, runQueueMax: 1 })).toContain('runQueueMax 1 is below processes 2');
    expect(failed({ ...input, processes: 0 })).toContain('processes 0: at least 1 is needed');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(guestSchedulerMachine, input, guestSchedulerSampleEvents);
    expect(sent).toEqual([
      { type: 'send', ...enter(0, 0) },
      { type: 'send', ...enter(1, 0) },
      { type: 'send', ...enter(0, 1) },
    ]);
    expect(snapshot.context).toMatchObject({ queue: [1], waiting: [-1, -1], current: 0 });
  });
});
