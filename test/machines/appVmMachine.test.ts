// Unit tests of the VM running a copy of the application (M4): slices on a timer, checkpoints every few slices, the
// three failure monitors (exhaustion, assertion, watchdog), the report until acknowledged, a real restore on resume.

import { describe, expect, it } from 'vitest';
import { BOOT_STATE, guestProgram, type Trigger } from '../../dataplane/appGuest.js';
import type { AppVmEvent } from '../../machines/appFailEvents.js';
import {
  APP_RETRANSMIT_TIMER_ID,
  APP_SLICE_TIMER_ID,
  APP_WATCHDOG_TIMER_ID,
  type AppVmInput,
  appVmMachine,
  appVmSampleEvents,
} from '../../machines/appVmMachine.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const ENV = { memPages: 2, schedSeed: 7, deviceEnabled: true };
const program = (trigger: Trigger, failAt = 5, seed = 7) =>
  guestProgram({ trigger, totalInstr: 8, allocEvery: 2, demandPages: 3, memPages: 2, failAt, seed });

function input(trigger: Trigger, over: Partial<AppVmInput> = {}): AppVmInput {
  return {
    ...{ self: 'vmA/app', store: 'store/checkpoints', policy: 'ops/policy', client: 'client/client' },
    ...{ program: program(trigger), env: ENV, active: true, sliceInstr: 2, sliceUs: 10, checkpointEvery: 2 },
    ...{ watchdogUs: 25, retransmitUs: 30, maxRetransmits: 2 },
    ...over,
  };
}

const TICK: AppVmEvent = { type: 'appVm.tick' };
const boot = (trigger: Trigger, over: Partial<AppVmInput> = {}) => new Driver(appVmMachine, input(trigger, over));

describe('appVmMachine', () => {
  it('the first copy boots running with its slice and watchdog timers; the other waits in standby', () => {
    const d = boot('none');
    expect(d.value).toBe('running');
    expect(timersOf(d.last.actions).map((t) => [t.id, t.delay])).toEqual([
      [APP_WATCHDOG_TIMER_ID, 25],
      [APP_SLICE_TIMER_ID, 10],
    ]);
    const b = boot('none', { self: 'vmB/app', active: false });
    expect([b.value, b.context.attempt, timersOf(b.last.actions)]).toEqual(['standby', -1, []]);
  });

  it('runs a slice per tick and puts a checkpoint after every second slice that made progress', () => {
    const d = boot('none');
    expect(sendsOf(d.send(TICK).actions)).toEqual([]);
    const out = d.send(TICK);
    expect(sendsOf(out.actions)).toEqual([
      {
        to: 'store/checkpoints',
        event: { type: 'ckstore.put', copy: 'vmA/app', checkpoint: { attempt: 0, instr: 4, state: d.context.guest } },
      },
    ]);
    expect([d.value, d.context.guest.instr, d.context.stats.checkpoints]).toEqual(['running', 4, 1]);
  });

  it('exhaustion: the failing slice raises the interrupt, stops the timers and reports the failure point; no checkpoint of it', () => {
    const d = boot('exhaustion');
    d.sendAll([TICK, TICK]);
    const out = d.send(TICK);
    expect(d.value).toBe('reporting');
    const [report] = sendsOf(out.actions);
    expect(report).toMatchObject({
      to: 'ops/policy',
      event: {
        type: 'policy.failed',
        report: { copy: 'vmA/app', attempt: 0, kind: 'exhaustion', atInstr: 5, env: ENV },
      },
    });
    expect(sendsOf(out.actions)).toHaveLength(1);
    expect(cancelsOf(out.actions)).toEqual(expect.arrayContaining([APP_SLICE_TIMER_ID, APP_WATCHDOG_TIMER_ID]));
    expect(timersOf(out.actions)).toEqual([{ id: APP_RETRANSMIT_TIMER_ID, delay: 30, type: 'appVm.retransmit' }]);
  });

  it('repeats the report until acknowledged, a bounded number of times', () => {
    const d = boot('bug');
    d.sendAll([TICK, TICK, TICK]);
    expect(sendsOf(d.send({ type: 'appVm.retransmit' }).actions)[0]?.event).toMatchObject({ type: 'policy.failed' });
    d.send({ type: 'appVm.retransmit' });
    expect(d.context.retransmits).toBe(2);
    expect(sendsOf(d.send({ type: 'appVm.retransmit' }).actions)).toEqual([]);
    expect(d.value).toBe('failed');
    const acked = boot('bug');
    acked.sendAll([TICK, TICK, TICK]);
    expect(acked.send({ type: 'appVm.reportAcked', attempt: 0 }).actions.length).toBeGreaterThan(0);
    expect(acked.value).toBe('failed');
  });

  it('the watchdog reports a hang: a period without a retired instruction, measured in virtual time', () => {
    // Seed 3 runs the consumer first at instruction 3: the second slice retires one instruction and hangs.
    const d = boot('race', { program: program('race', 3, 3), env: { ...ENV, schedSeed: 3 }, checkpointEvery: 1 });
    d.send(TICK);
    const hung = d.send(TICK);
    expect([d.context.guest.instr, d.context.guest.deadlocked]).toEqual([3, true]);
    // The copy cannot tell a hang from a slow slice: the hung state is checkpointed like any other.
    expect(sendsOf(hung.actions)[0]?.event).toMatchObject({ type: 'ckstore.put', checkpoint: { instr: 3 } });
    d.send({ type: 'appVm.watchdog' });
    expect(d.value).toBe('running');
    d.send(TICK);
    const out = d.send({ type: 'appVm.watchdog' });
    expect(d.value).toBe('reporting');
    expect(sendsOf(out.actions)[0]?.event).toMatchObject({
      type: 'policy.failed',
      report: { kind: 'watchdog', atInstr: d.context.guest.instr },
    });
  });

  it('resume restores the checkpoint and the new environment, acknowledges, and runs; a repeated resume is re-acknowledged', () => {
    const b = boot('exhaustion', { self: 'vmB/app', active: false });
    const from = { attempt: 0, instr: 4, state: { ...BOOT_STATE, instr: 4, pages: 2, digest: 99 } };
    const env = { ...ENV, memPages: 4 };
    const out = b.send({ type: 'appVm.resume', attempt: 1, from, env });
    expect(b.value).toBe('running');
    expect([b.context.guest, b.context.env, b.context.attempt]).toEqual([from.state, env, 1]);
    expect(sendsOf(out.actions)).toEqual([
      { to: 'ops/policy', event: { type: 'policy.resumed', attempt: 1, copy: 'vmB/app' } },
    ]);
    expect(sendsOf(b.send({ type: 'appVm.resume', attempt: 1, from, env }).actions)).toHaveLength(1);
    expect(b.context.guest).toEqual(from.state);
    b.sendAll([TICK, TICK]);
    expect([b.value, b.context.guest.instr]).toEqual(['finished', 8]);
  });

  it('finishes: tells the client until it acknowledges', () => {
    const d = boot('none');
    const out = d.sendAll([TICK, TICK, TICK, TICK]);
    expect(d.value).toBe('finished');
    expect(sendsOf(out.actions)).toEqual([
      {
        to: 'client/client',
        event: { type: 'client.finished', copy: 'vmA/app', attempt: 0, instr: 8, digest: d.context.guest.digest },
      },
    ]);
    d.send({ type: 'appVm.finishAcked', attempt: 0 });
    expect(d.value).toBe('done');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const standby = input('exhaustion', { self: 'vmB/app', active: false });
    const { snapshot } = expectActorMatchesStepper(appVmMachine, standby, appVmSampleEvents);
    expect(snapshot.value).toBe('running');
    expect(snapshot.context.attempt).toBe(1);
  });
});
