// Unit tests of M15's bus bridge: it forwards to the device an access names, and once a device's entry carries
// the fake-response flag it answers with the generated response without touching it; and it runs as a plain actor.

import { describe, expect, it } from 'vitest';
import { FAKE_VALUE } from '../../dataplane/busMap.js';
import { busBridgeMachine, busBridgeSampleEvents } from '../../machines/busBridgeMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const MMU = 'cpu/mmu';
const input = { mmu: MMU, devices: ['devhost/dev0', 'devhost/spare'] };

describe('busBridge', () => {
  it('forwards to the device, then fakes once the device is marked', () => {
    const d = new Driver(busBridgeMachine, input);
    expect(sendsOf(d.send({ type: 'bridge.access', op: 0, resource: 0, device: 1 }).actions)).toEqual([
      { to: 'devhost/spare', event: { type: 'dev.access', op: 0, resource: 0 } },
    ]);
    d.send({ type: 'bridge.mark', device: 0, fake: true });
    expect(sendsOf(d.send({ type: 'bridge.access', op: 1, resource: 0, device: 0 }).actions)).toEqual([
      { to: MMU, event: { type: 'mmu.completed', op: 1, resource: 0, device: 0, value: FAKE_VALUE, ok: true } },
    ]);
    expect(d.context.stats).toEqual({ forwarded: 1, faked: 1 });
  });

  it('refuses a device number not on the bus', () => {
    const d = new Driver(busBridgeMachine, input);
    expect(() => d.send({ type: 'bridge.access', op: 0, resource: 0, device: 5 })).toThrow(/no device 5/);
  });

  it('runs as a plain XState actor with the same result as the kernel stepper', () => {
    const { sent } = expectActorMatchesStepper(busBridgeMachine, input, busBridgeSampleEvents);
    expect(sent).toHaveLength(2);
  });
});
