// Unit tests of the outside world's application: it counts the packets handed to it per VM and sends nothing.
// Also run as a plain XState actor beside the kernel's stepper, like every machine.

import { describe, expect, it } from 'vitest';
import { appMachine, appSampleEvents } from '../../machines/appMachine.js';
import type { AppEvent } from '../../machines/haEvents.js';
import { Driver, expectActorMatchesStepper } from './helpers.js';

const deliver = (vm: number, seq: number): AppEvent => ({ type: 'app.deliver', vm, seq, payload: seq * 10 });

describe('appMachine', () => {
  it('boots reading with nothing received', () => {
    const d = new Driver(appMachine, undefined);
    expect(d.value).toBe('reading');
    expect(d.context.received).toEqual({});
  });

  it('counts the packets handed to it per VM and sends nothing', () => {
    const d = new Driver(appMachine, undefined);
    for (const ev of [deliver(0, 1), deliver(1, 1), deliver(0, 2)]) expect(d.send(ev).actions).toEqual([]);
    expect(d.context.received).toEqual({ 0: 2, 1: 1 });
  });

  it('runs as an ordinary XState actor with the same snapshots as under the kernel', () => {
    const { snapshot, emitted } = expectActorMatchesStepper(appMachine, undefined, [...appSampleEvents, deliver(0, 2)]);
    expect(snapshot.context.received).toEqual({ 0: 2 });
    expect(emitted).toEqual([]);
  });
});
