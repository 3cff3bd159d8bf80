// Unit tests of the outside world's input source (M6): interrupts and I/O values in turn on its timer, as many as
// it was given; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  inputOf,
  replayInputSourceMachine,
  replayInputSourceSampleEvents,
  SOURCE_TICK_ID,
} from '../../machines/replayInputSourceMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input = { recorder: 'r', inputs: 2, everyUs: 7, seed: 3 };

describe('replayInputSourceMachine', () => {
  it('sends an interrupt, then an I/O value, one per tick, then stops', () => {
    const d = new Driver(replayInputSourceMachine, input);
    expect(timersOf(d.last.actions)).toEqual([{ id: SOURCE_TICK_ID, delay: 7, type: 'source.tick' }]);
    expect(sendsOf(d.send({ type: 'source.tick' }).actions)).toEqual([
      { to: 'r', event: { type: 'recorder.irq', vector: 32 } },
    ]);
    expect(sendsOf(d.send({ type: 'source.tick' }).actions)).toEqual([{ to: 'r', event: inputOf(3, 1) }]);
    expect(inputOf(3, 1)).toMatchObject({ type: 'recorder.input' });
    expect(d.value).toBe('done');
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(replayInputSourceMachine, input, replayInputSourceSampleEvents);
    expect(sent).toHaveLength(1);
  });
});
