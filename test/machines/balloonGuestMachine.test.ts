// Unit tests of a ballooned VM's guest workload (M10): its planned accesses one at a time, the stalls it waits out,
// the OOMs it counts, halting after its last access, and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { guestOp } from '../../dataplane/balloon.js';
import {
  type BalloonGuestInput,
  BGUEST_NEXT_TIMER_ID,
  balloonGuestMachine,
  balloonGuestSampleEvents,
} from '../../machines/balloonGuestMachine.js';
import { Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const MEM = 'host0/vm0/memory';
const input: BalloonGuestInput = {
  ...{ memory: MEM, ops: 2, opGapUs: 2, startUs: 1, seed: 24, vm: 0, pages: 4, pageBytes: 4 },
  ...{ readPercent: 40, hotPercent: 100, zeroWritePercent: 30 },
};
const NEXT = { type: 'bguest.next' } as const;
const done = (stallUs: number, applied = true, queued = false) => ({
  type: 'bguest.written' as const,
  ...{ gfn: 1, offset: 0, length: 1, value: 5, applied, stallUs, queued },
});

describe('balloonGuestMachine', () => {
  it('boots resting with its first access due at startUs', () => {
    const d = new Driver(balloonGuestMachine, input);
    expect(d.value).toBe('resting');
    expect(d.last.actions).toContainEqual(raiseAction(NEXT, BGUEST_NEXT_TIMER_ID, 1));
  });

  it("sends its plan's accesses in order, one at a time, and halts after the last", () => {
    const d = new Driver(balloonGuestMachine, input);
    const op0 = guestOp(input, 0);
    const first = sendsOf(d.send(NEXT).actions);
    expect(first).toEqual([
      { to: MEM, event: { type: 'vmm.write', gfn: op0.gfn, offset: op0.offset, length: op0.length, value: op0.value } },
    ]);
    expect(d.value).toBe('waiting');
    // The hypervisor charged a 3 µs fault: the vCPU waits it out, then the gap.
    expect(d.send(done(3)).actions).toContainEqual(raiseAction(NEXT, BGUEST_NEXT_TIMER_ID, 5));
    d.send(NEXT);
    d.send({ type: 'bguest.readDone', gfn: 1, bytes: new Uint8Array(4) });
    d.send(NEXT);
    expect(d.value).toBe('halted');
    expect(d.context.done).toBe(2);
    expect(d.context.stats).toMatchObject({ stalledUs: 3, faults: 1 });
  });

  it('counts a denied write as a guest-visible OOM and a queued grant as an OOM wait', () => {
    const d = new Driver(balloonGuestMachine, { ...input, ops: 3 });
    d.sendAll([NEXT, done(0, false, true), NEXT, done(1, true, true)]);
    expect(d.context.stats).toMatchObject({ oom: 1, queued: 2, faults: 0, stalledUs: 1 });
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(balloonGuestMachine, input, balloonGuestSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual(['vmm.write', 'vmm.write']);
    expect(snapshot.value).toBe('pausing');
  });
});
