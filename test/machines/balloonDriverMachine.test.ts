// Unit tests of the guest's balloon driver (M10): idle → inflating → sweeping → completing → inflated and back by
// deflating; refusals with a reason; the result repeated on its bounded timer and on a repeated command; an actor.

import { describe, expect, it } from 'vitest';
import {
  BALLOON_RETRANSMIT_TIMER_ID,
  type BalloonDriverInput,
  balloonDriverMachine,
  balloonDriverSampleEvents,
} from '../../machines/balloonDriverMachine.js';
import { cancelAction, Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const MGR = 'mgmt/manager';
const MEM = 'host0/vm0/memory';
const input: BalloonDriverInput = { vm: 0, manager: MGR, memory: MEM, pages: 4, retransmitUs: 40, maxRetransmits: 2 };
const INFLATED = { to: MGR, event: { type: 'mgr.inflated', vm: 0, reclaimedPages: 3, superPages: 1 } };

type D = Driver<typeof balloonDriverMachine>;
const boot = (): D => new Driver(balloonDriverMachine, input);
function completing(): D {
  const d = boot();
  d.sendAll([
    { type: 'balloon.inflate', targetPages: 4 },
    { type: 'balloon.sweepStarted' },
    { type: 'balloon.swept', reclaimedPages: 3, superPages: 1 },
  ]);
  return d;
}

describe('balloonDriverMachine', () => {
  it('an inflate command asks the hypervisor for a sweep; the sweep starting moves it to sweeping', () => {
    const d = boot();
    expect(d.value).toBe('idle');
    expect(sendsOf(d.send({ type: 'balloon.inflate', targetPages: 4 }).actions)).toEqual([
      { to: MEM, event: { type: 'vmm.sweep', targetPages: 4 } },
    ]);
    expect(d.value).toBe('inflating');
    d.send({ type: 'balloon.sweepStarted' });
    expect(d.value).toBe('sweeping');
    // A repeated command while the sweep runs is not answered yet: the result is what the manager waits for.
    expect(sendsOf(d.send({ type: 'balloon.inflate', targetPages: 4 }).actions)).toEqual([]);
  });

  it('the sweep done: it reports the result and arms the retransmit timer; the ack ends it', () => {
    const d = completing();
    expect(d.value).toBe('completing');
    expect(sendsOf(d.last.actions)).toEqual([INFLATED]);
    expect(d.last.actions).toContainEqual(raiseAction({ type: 'balloon.retransmit' }, BALLOON_RETRANSMIT_TIMER_ID, 40));
    const out = d.send({ type: 'balloon.resultAcked' });
    expect(d.value).toBe('inflated');
    expect(out.actions).toContainEqual(cancelAction(BALLOON_RETRANSMIT_TIMER_ID));
  });

  it('repeats the result at most maxRetransmits times, then rests inflated; a repeated command still gets it', () => {
    const d = completing();
    expect(sendsOf(d.send({ type: 'balloon.retransmit' }).actions)).toEqual([INFLATED]);
    expect(sendsOf(d.send({ type: 'balloon.retransmit' }).actions)).toEqual([INFLATED]);
    expect(sendsOf(d.send({ type: 'balloon.retransmit' }).actions)).toEqual([]);
    expect(d.value).toBe('inflated');
    expect(sendsOf(d.send({ type: 'balloon.inflate', targetPages: 4 }).actions)).toEqual([INFLATED]);
    expect(sendsOf(completing().send({ type: 'balloon.inflate', targetPages: 4 }).actions)).toEqual([INFLATED]);
  });

  it('refuses a target outside the VM, and passes on the hypervisor refusing the sweep, with the reason', () => {
    const d = boot();
    expect(sendsOf(d.send({ type: 'balloon.inflate', targetPages: 5 }).actions)).toEqual([
      { to: MGR, event: { type: 'mgr.refused', vm: 0, reason: "target 5 pages is not within the VM's 4 pages" } },
    ]);
    expect(d.value).toBe('idle');
    d.send({ type: 'balloon.inflate', targetPages: 2 });
    const out = d.send({ type: 'balloon.sweepRefused', reason: 'a sweep is already running' });
    expect(sendsOf(out.actions)).toEqual([
      { to: MGR, event: { type: 'mgr.refused', vm: 0, reason: 'a sweep is already running' } },
    ]);
    expect([d.value, d.context.refusal]).toEqual(['idle', 'a sweep is already running']);
  });

  it('deflates: asks the hypervisor, then is idle with an empty balloon', () => {
    const d = completing();
    d.send({ type: 'balloon.resultAcked' });
    expect(sendsOf(d.send({ type: 'balloon.deflate' }).actions)).toEqual([{ to: MEM, event: { type: 'vmm.deflate' } }]);
    expect(d.value).toBe('deflating');
    d.send({ type: 'balloon.deflated' });
    expect(d.value).toBe('idle');
    expect(d.context).toMatchObject({ targetPages: 0, reclaimedPages: 0, superPages: 0 });
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(balloonDriverMachine, input, balloonDriverSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual(['vmm.sweep', 'mgr.inflated', 'mgr.inflated', 'vmm.deflate']);
    expect(snapshot.value).toBe('idle');
  });
});
