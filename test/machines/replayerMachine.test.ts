// Unit tests of the replay VM (M6): the log replayed entry by entry on its timer, the pause at a marked function as
// chart states (saving → analysing → restoring), the skip after bounded retries, the resume from disk after a crash.

import { describe, expect, it } from 'vitest';
import {
  type DetLogEntry,
  type DetOutput,
  guestDigest,
  initialGuest,
  replayLog,
  runTo,
} from '../../dataplane/detGuest.js';
import { analyse } from '../../dataplane/replayFunction.js';
import {
  REPLAY_RETRANSMIT_ID,
  REPLAY_STEP_ID,
  type ReplayerInput,
  replayerMachine,
  replayerSampleEvents,
} from '../../machines/replayerMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const PROGRAM = { outputEvery: 5, ptWriteEvery: 3, tBit: true };
const input: ReplayerInput = {
  ...{ store: 's', stateSave: 'd', analyser: 'a', seed: 1, program: PROGRAM, analysisAt: [7] },
  ...{ chunkMax: 8, instrNs: 1000, retransmitUs: 60, maxRetries: 1 },
};
const LOG: DetLogEntry[] = [
  { kind: 'irq', at: 2, vector: 32 },
  ...runTo(initialGuest(1), PROGRAM, 10).outputs.map((o) => ({ kind: 'output' as const, ...o })),
];
// Its output entries' payloads were produced without the irq, but a replay takes only their icounts (as replayLog
// does): the reference outputs are replayLog's own.
const REF = replayLog(initialGuest(1), PROGRAM, LOG);

function started() {
  const d = new Driver(replayerMachine, input);
  d.send({ type: 'replay.start' });
  d.send({ type: 'replay.chunk', from: 0, entries: LOG, sealed: true, total: LOG.length });
  return d;
}

const outputsSent = (d: Driver<typeof replayerMachine>) =>
  sendsOf(d.last.actions).flatMap((s) => {
    const e = s.event as { type: string; outputs?: DetOutput[] };
    return e.type === 'store.outputs' ? (e.outputs ?? []) : [];
  });

describe('replayerMachine', () => {
  it('fetches, ignores a stale chunk, replays each stretch after its cost in virtual time', () => {
    const d = new Driver(replayerMachine, input);
    expect(sendsOf(d.send({ type: 'replay.start' }).actions)).toEqual([
      { to: 's', event: { type: 'store.fetch', from: 0, max: 8 } },
    ]);
    d.send({ type: 'replay.chunk', from: 3, entries: LOG, sealed: true, total: 3 });
    expect(d.value).toBe('fetching');
    const out = d.send({ type: 'replay.chunk', from: 0, entries: LOG, sealed: true, total: LOG.length });
    expect(d.value).toBe('replaying');
    expect(timersOf(out.actions)).toEqual([{ id: REPLAY_STEP_ID, delay: 2, type: 'replay.step' }]);
  });

  it('pauses at the marked function: saves, runs it, restores the saved state, resumes; outputs as replayLog', () => {
    const d = started();
    const outputs: DetOutput[] = [];
    for (const _ of [1, 2, 3]) {
      d.send({ type: 'replay.step' });
      outputs.push(...outputsSent(d));
    }
    expect(d.value).toEqual({ paused: 'saving' });
    const atPoint = d.context.guest;
    expect(atPoint.icount).toBe(7);
    expect(sendsOf(d.last.actions).at(-1)).toEqual({
      to: 'd',
      event: { type: 'vm.save', save: { point: 7, pointIndex: 0, index: 2, guest: atPoint } },
    });
    d.send({ type: 'replay.saved', point: 7 });
    expect(d.value).toEqual({ paused: 'analysing' });
    expect(sendsOf(d.last.actions)).toEqual([{ to: 'a', event: { type: 'analysis.run', point: 7, guest: atPoint } }]);
    const { result, guest } = analyse(atPoint, 7);
    d.send({ type: 'replay.analysed', point: 7, result, guest });
    expect([d.value, d.context.guest]).toEqual([{ paused: 'restoring' }, guest]);
    expect(sendsOf(d.last.actions).map((s) => s.event)).toEqual([
      { type: 'store.analysed', point: 7, result },
      { type: 'vm.restore', point: 7 },
    ]);
    d.send({ type: 'replay.restored', point: 7, guest: atPoint });
    expect([d.value, d.context.guest, d.context.nextPoint]).toEqual(['replaying', atPoint, 1]);
    while (d.value === 'replaying') {
      d.send({ type: 'replay.step' });
      outputs.push(...outputsSent(d));
    }
    expect(d.value).toBe('done');
    expect(outputs).toEqual(REF.outputs);
    expect(sendsOf(d.last.actions).at(-1)?.event).toEqual({
      type: 'store.finished',
      entries: LOG.length,
      icount: 10,
      digest: guestDigest(REF.guest),
    });
  });

  it('retries the function a bounded number of times, then skips it, reports so and still restores', () => {
    const d = started();
    d.sendAll([{ type: 'replay.step' }, { type: 'replay.step' }, { type: 'replay.step' }]);
    d.send({ type: 'replay.saved', point: 7 });
    expect(sendsOf(d.send({ type: 'replay.retransmit' }).actions)[0]?.event).toMatchObject({ type: 'analysis.run' });
    d.send({ type: 'replay.retransmit' });
    expect(d.value).toEqual({ paused: 'restoring' });
    expect(sendsOf(d.last.actions)[0]?.event).toEqual({ type: 'store.analysed', point: 7, result: null });
    expect([d.context.stats.skipped, d.context.results]).toEqual([1, [null]]);
  });

  it('after a crash it resumes from the state on its disk, whose function runs again', () => {
    const d = started();
    const save = {
      point: 7,
      pointIndex: 0,
      index: 2,
      guest: replayLog(initialGuest(1), PROGRAM, LOG.slice(0, 2)).guest,
    };
    expect(sendsOf(d.send({ type: 'host.restarted' }).actions)).toEqual([{ to: 'd', event: { type: 'vm.latest' } }]);
    d.send({ type: 'replay.latest', save });
    expect(sendsOf(d.last.actions)).toEqual([{ to: 's', event: { type: 'store.fetch', from: 2, max: 8 } }]);
    d.send({ type: 'replay.chunk', from: 2, entries: LOG.slice(2), sealed: true, total: LOG.length });
    d.send({ type: 'replay.step' });
    expect([d.value, d.context.stats.resumes]).toEqual([{ paused: 'saving' }, 1]);
  });

  it('resends an unanswered fetch a bounded number of times, then gives the replay up', () => {
    const d = new Driver(replayerMachine, input);
    d.sendAll([{ type: 'replay.start' }, { type: 'replay.retransmit' }, { type: 'replay.retransmit' }]);
    expect(d.value).toBe('failed');
    expect(timersOf(new Driver(replayerMachine, input).send({ type: 'replay.start' }).actions)[0]?.id).toBe(
      REPLAY_RETRANSMIT_ID,
    );
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const atThree = { ...input, analysisAt: [3] };
    const { sent } = expectActorMatchesStepper(replayerMachine, atThree, replayerSampleEvents);
    expect(sent.map((s) => s.event.type)).toContain('vm.save');
    expect(sent.map((s) => s.event.type).at(-1)).toBe('store.fetch');
  });
});
