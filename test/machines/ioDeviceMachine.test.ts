// Unit tests of M15/M16's device: a healthy one answers its real value, a faulty one a wrong value flagged as an
// error, a spare answers for any resource, a mistranslated access is an error; and it runs as a plain actor.

import { describe, expect, it } from 'vitest';
import { faultyValue, realValue } from '../../dataplane/busMap.js';
import {
  BREAK_TIMER_ID,
  type IoDeviceInput,
  ioDeviceMachine,
  ioDeviceSampleEvents,
} from '../../machines/ioDeviceMachine.js';
import { Driver, drawsOf, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const MMU = 'cpu/mmu';
const input: IoDeviceInput = {
  mmu: MMU,
  device: 0,
  faulty: false,
  spare: false,
  failOptions: 0,
  failFromUs: 0,
  failStepUs: 10,
};
const done = (op: number, resource: number, device: number, value: number, ok: boolean) => ({
  to: MMU,
  event: { type: 'mmu.completed', op, resource, device, value, ok },
});

describe('ioDevice', () => {
  it('answers with the real value, or a wrong one flagged when faulty, counting every touch', () => {
    const d = new Driver(ioDeviceMachine, input);
    expect(sendsOf(d.send({ type: 'dev.access', op: 4, resource: 0 }).actions)).toEqual([
      done(4, 0, 0, realValue(0, 4), true),
    ]);
    const f = new Driver(ioDeviceMachine, { ...input, faulty: true });
    expect(sendsOf(f.send({ type: 'dev.access', op: 4, resource: 0 }).actions)).toEqual([
      done(4, 0, 0, faultyValue(0, 4), false),
    ]);
    expect(f.context.touches).toBe(1);
  });

  it('a spare answers for the resource diverted to it; a plain device refuses another resource', () => {
    const s = new Driver(ioDeviceMachine, { ...input, device: 2, spare: true });
    expect(sendsOf(s.send({ type: 'dev.access', op: 1, resource: 1 }).actions)).toEqual([
      done(1, 1, 2, realValue(1, 1), true),
    ]);
    const d = new Driver(ioDeviceMachine, input);
    expect(() => d.send({ type: 'dev.access', op: 1, resource: 1 })).toThrow(/mistranslation/);
  });

  it('a drawn failure: healthy until the chosen instant, faulty after it (and again healthy after a reboot)', () => {
    const d = new Driver(ioDeviceMachine, { ...input, faulty: true, failOptions: 5 });
    expect(drawsOf(d.last.actions)).toEqual([
      { options: 5, label: 'dev.failAt', event: { type: 'dev.failChosen', value: 0 } },
    ]);
    expect(timersOf(d.send({ type: 'dev.failChosen', value: 3 }).actions)).toMatchObject([
      { id: BREAK_TIMER_ID, delay: 30 },
    ]);
    expect(sendsOf(d.send({ type: 'dev.access', op: 0, resource: 0 }).actions)).toEqual([
      done(0, 0, 0, realValue(0, 0), true),
    ]);
    d.send({ type: 'dev.broke' });
    expect(sendsOf(d.send({ type: 'dev.access', op: 1, resource: 0 }).actions)).toEqual([
      done(1, 0, 0, faultyValue(0, 1), false),
    ]);
    expect(() => d.send({ type: 'dev.failChosen', value: 9 })).not.toThrow();
    const e = new Driver(ioDeviceMachine, { ...input, faulty: true, failOptions: 5 });
    expect(() => e.send({ type: 'dev.failChosen', value: 9 })).toThrow(/failure instant 9 of 5/);
  });

  it('runs as a plain XState actor with the same result as the kernel stepper', () => {
    const { sent } = expectActorMatchesStepper(ioDeviceMachine, input, ioDeviceSampleEvents);
    expect(sent).toHaveLength(2);
  });
});
