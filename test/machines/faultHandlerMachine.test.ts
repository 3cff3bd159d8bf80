// Unit tests of M15/M16's fault handler: per mode, what a trap leads to (error passed on, fake marks on bridge and
// MMU, or a diversion to the spare), counted per resource; and it runs as a plain actor.

import { describe, expect, it } from 'vitest';
import {
  type FaultHandlerInput,
  faultHandlerMachine,
  faultHandlerSampleEvents,
  handleTrap,
} from '../../machines/faultHandlerMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const MMU = 'cpu/mmu';
const BRIDGE = 'devhost/bridge';
const input: FaultHandlerInput = { mmu: MMU, bridge: BRIDGE, mode: 'diversion', resources: 2, spare: 2 };
const done = (resource: number, serve: unknown, remap: boolean) => ({
  to: MMU,
  event: { type: 'mmu.trapDone', resource, serve, remap },
});

describe('faultHandler', () => {
  it('decides per mode: pass the error on, fake (bridge marked first), or divert to the spare', () => {
    const trap = { type: 'handler.trap', resource: 1, op: 0 } as const;
    const run = (mode: FaultHandlerInput['mode']) =>
      sendsOf(new Driver(faultHandlerMachine, { ...input, mode }).send(trap).actions);
    expect(run('neither')).toEqual([done(1, null, false)]);
    expect(run('faking')).toEqual([
      { to: BRIDGE, event: { type: 'bridge.mark', device: 1, fake: true } },
      done(1, { fake: true, divertTo: -1 }, true),
    ]);
    expect(run('diversion')).toEqual([done(1, { fake: false, divertTo: 2 }, true)]);
  });

  it('counts traps per resource, refuses a trap for no resource, and remaps only when asked', () => {
    const d = new Driver(faultHandlerMachine, input);
    d.sendAll([
      { type: 'handler.trap', resource: 1, op: 0 },
      { type: 'handler.trap', resource: 1, op: 3 },
    ]);
    expect(d.context.traps).toEqual([0, 2]);
    expect(() => d.send({ type: 'handler.trap', resource: 2, op: 0 })).toThrow(/no resource 2/);
    expect(handleTrap(input, 0, false)).toEqual([{ type: 'send', ...done(0, { fake: false, divertTo: 2 }, false) }]);
  });

  it('runs as a plain XState actor with the same result as the kernel stepper', () => {
    const { sent } = expectActorMatchesStepper(faultHandlerMachine, input, faultHandlerSampleEvents);
    expect(sent).toHaveLength(2);
  });
});
