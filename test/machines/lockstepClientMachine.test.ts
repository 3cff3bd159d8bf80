// Unit tests of the lockstep scenarios' outside world (M5): inputs on a timer to the live side, outputs taken once
// each in order, repeats and out-of-order arrivals counted, never taken.

import { describe, expect, it } from 'vitest';
import {
  inputValue,
  type LockstepClientInput,
  lockstepClientMachine,
  lockstepClientSampleEvents,
} from '../../machines/lockstepClientMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: LockstepClientInput = { target: 'primary/ft', inputs: 2, inputStartUs: 5, inputEveryUs: 30 };
const out = (seq: number, replyTo = 'primary/ft') => ({ type: 'client.output' as const, seq, payload: seq, replyTo });

describe('lockstepClientMachine', () => {
  it('sends its inputs on a timer, to the side that last gave it a new output', () => {
    const d = new Driver(lockstepClientMachine, input);
    expect(timersOf(d.last.actions)).toEqual([{ id: 'client.tick', delay: 5, type: 'client.tick' }]);
    d.send({ type: 'client.tick' });
    expect(sendsOf(d.last.actions)).toEqual([
      { to: 'primary/ft', event: { type: 'lockstep.input', value: inputValue(0) } },
    ]);
    d.send(out(1, 'secondary/ft'));
    d.send({ type: 'client.tick' });
    expect(sendsOf(d.last.actions)[0]?.to).toBe('secondary/ft');
    expect(timersOf(d.last.actions)).toEqual([]);
  });

  it('takes outputs once each, in order; counts repeats and out-of-order arrivals without taking them', () => {
    const d = new Driver(lockstepClientMachine, input);
    for (const seq of [1, 1, 3, 2, 3]) d.send(out(seq));
    expect([d.context.next, d.context.stats]).toEqual([4, { accepted: 3, repeats: 1, outOfOrder: 1 }]);
  });

  it('runs as a plain XState actor exactly as under the kernel stepper', () => {
    expectActorMatchesStepper(lockstepClientMachine, input, lockstepClientSampleEvents);
  });
});
