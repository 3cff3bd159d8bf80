// Unit tests of the analysis host (M6): a run takes its virtual time, answers with the result and the VM state as
// the function left it (scribbled on), one run at a time; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import { guestDigest, initialGuest } from '../../dataplane/detGuest.js';
import { analyse } from '../../dataplane/replayFunction.js';
import {
  ANALYSIS_FINISH_ID,
  replayAnalyserMachine,
  replayAnalyserSampleEvents,
} from '../../machines/replayAnalyserMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const guest = initialGuest(2);

describe('replayAnalyserMachine', () => {
  it('runs the function for its virtual time and answers with the result and the scribbled state', () => {
    const d = new Driver(replayAnalyserMachine, { replayer: 'p', analysisUs: 30 });
    const started = d.send({ type: 'analysis.run', point: 4, guest });
    expect(timersOf(started.actions)).toEqual([{ id: ANALYSIS_FINISH_ID, delay: 30, type: 'analysis.finish' }]);
    expect(timersOf(d.send({ type: 'analysis.run', point: 4, guest }).actions)).toEqual([]);
    const { result, guest: scribbled } = analyse(guest, 4);
    expect(sendsOf(d.send({ type: 'analysis.finish' }).actions)).toEqual([
      { to: 'p', event: { type: 'replay.analysed', point: 4, result, guest: scribbled } },
    ]);
    expect(guestDigest(scribbled)).not.toBe(guestDigest(guest));
    expect(scribbled.icount).toBe(guest.icount);
    expect([d.value, d.context.runs]).toEqual(['idle', 1]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const input = { replayer: 'p', analysisUs: 5 };
    const { sent } = expectActorMatchesStepper(replayAnalyserMachine, input, replayAnalyserSampleEvents);
    expect(sent.map((s) => s.event.type)).toEqual(['replay.analysed']);
  });
});
