// Unit tests of the relay station: forwards while hops are left, absorbs the token when they run out.
// The bench compares this machine under the kernel with the same logic under XState's own runtime.

import { describe, expect, it } from 'vitest';
import { relayMachine, relaySampleEvents } from '../../machines/relayMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { expectActorMatchesStepper } from './helpers.js';

describe('relayMachine', () => {
  const input = { next: 'h/r1' };
  it('forwards with one hop fewer', () => {
    const s = new MachineStepper(relayMachine, input);
    const out = s.step(s.initial(input).snapshot, { type: 'relay.forward', token: 3, hopsLeft: 2 });
    expect(out.actions).toEqual([
      {
        type: 'xstate.emit',
        params: { event: { type: 'send', to: 'h/r1', event: { type: 'relay.forward', token: 3, hopsLeft: 1 } } },
      },
    ]);
    expect(out.snapshot.context).toMatchObject({ forwardedCount: 1, absorbedCount: 0 });
  });

  it('absorbs a token with no hops left', () => {
    const s = new MachineStepper(relayMachine, input);
    const out = s.step(s.initial(input).snapshot, { type: 'relay.forward', token: 3, hopsLeft: 0 });
    expect(out.actions).toEqual([]);
    expect(out.snapshot.context).toMatchObject({ forwardedCount: 0, absorbedCount: 1 });
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const { sent } = expectActorMatchesStepper(relayMachine, input, relaySampleEvents);
    expect(sent).toEqual([{ type: 'send', to: 'h/r1', event: { type: 'relay.forward', token: 1, hopsLeft: 1 } }]);
  });
});
