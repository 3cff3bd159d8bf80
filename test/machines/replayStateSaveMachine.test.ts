// Unit tests of the replay host's state-save disk (M6): a save is acked, a restore hands back the state saved for
// that point (any other point is a bug), the latest save survives and is reported; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { initialGuest } from '../../dataplane/detGuest.js';
import { savedBytes } from '../../dataplane/replayFunction.js';
import { replayStateSaveMachine, replayStateSaveSampleEvents } from '../../machines/replayStateSaveMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const guest = initialGuest(4);
const save = { point: 7, pointIndex: 0, index: 2, guest };

describe('replayStateSaveMachine', () => {
  it('saves, restores the state saved at that point, and counts the bytes each way', () => {
    const d = new Driver(replayStateSaveMachine, { replayer: 'p' });
    expect(sendsOf(d.send({ type: 'vm.save', save }).actions)).toEqual([
      { to: 'p', event: { type: 'replay.saved', point: 7 } },
    ]);
    expect(sendsOf(d.send({ type: 'vm.restore', point: 7 }).actions)).toEqual([
      { to: 'p', event: { type: 'replay.restored', point: 7, guest } },
    ]);
    expect(d.context.stats).toEqual({ saves: 1, restores: 1, bytesSaved: 124, bytesRestored: 124 });
    expect(savedBytes(guest)).toBe(124);
    expect(() => d.send({ type: 'vm.restore', point: 8 })).toThrow(/restore of point 8/);
  });

  it('tells a restarted replayer what it holds', () => {
    const d = new Driver(replayStateSaveMachine, { replayer: 'p' });
    expect(sendsOf(d.send({ type: 'vm.latest' }).actions)).toEqual([
      { to: 'p', event: { type: 'replay.latest', save: null } },
    ]);
    d.send({ type: 'vm.save', save });
    d.send({ type: 'host.restarted' });
    expect(sendsOf(d.send({ type: 'vm.latest' }).actions)[0]?.event).toEqual({ type: 'replay.latest', save });
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(replayStateSaveMachine, { replayer: 'p' }, replayStateSaveSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual([
      'replay.latest',
      'replay.saved',
      'replay.restored',
      'replay.latest',
    ]);
  });
});
