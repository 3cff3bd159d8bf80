// Unit tests of the recording VM (M6): slices run on its timer, inputs logged at the icount they were taken, marked
// functions passed over, one append in flight with bounded resends, the last append and the close after a restart.

import { describe, expect, it } from 'vitest';
import { initialGuest, replayLog, runTo } from '../../dataplane/detGuest.js';
import {
  RECORDER_RETRANSMIT_ID,
  RECORDER_TICK_ID,
  type ReplayRecorderInput,
  replayRecorderMachine,
  replayRecorderSampleEvents,
} from '../../machines/replayRecorderMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const PROGRAM = { outputEvery: 5, ptWriteEvery: 0, tBit: true };
const input: ReplayRecorderInput = {
  ...{ store: 's', seed: 1, program: PROGRAM, instructions: 10, tickUs: 10, instrsPerTick: 5 },
  ...{ analysisAt: [3], retransmitUs: 60, maxRetries: 1 },
};

describe('replayRecorderMachine', () => {
  it('runs a slice per tick, logs its outputs, passes over a marked function and ships one append', () => {
    const d = new Driver(replayRecorderMachine, input);
    expect(timersOf(d.last.actions)).toEqual([{ id: RECORDER_TICK_ID, delay: 10, type: 'recorder.tick' }]);
    const out = d.send({ type: 'recorder.tick' });
    const o1 = runTo(initialGuest(1), PROGRAM, 5).outputs[0];
    expect(sendsOf(out.actions)).toEqual([
      { to: 's', event: { type: 'store.append', from: 0, entries: [{ kind: 'output', ...o1 }], last: false } },
    ]);
    expect(timersOf(out.actions).map((t) => t.id)).toEqual([RECORDER_RETRANSMIT_ID, RECORDER_TICK_ID]);
    expect([d.context.guest.icount, d.context.stats.functionsSkipped, d.context.sentUpTo]).toEqual([5, 1, 1]);
  });

  it('logs an input against the icount it was taken at; the log replays to the recording VM itself', () => {
    const d = new Driver(replayRecorderMachine, input);
    d.send({ type: 'recorder.tick' });
    d.send({ type: 'recorder.irq', vector: 33 });
    d.send({ type: 'recorder.acked', upTo: 1, sealed: false });
    expect(sendsOf(d.last.actions)).toEqual([
      { to: 's', event: { type: 'store.append', from: 1, entries: [{ kind: 'irq', at: 5, vector: 33 }], last: false } },
    ]);
    d.send({ type: 'recorder.input', value: 9 });
    d.send({ type: 'recorder.tick' });
    expect(d.value).toBe('finishing');
    const log = [{ kind: 'output', ...runTo(initialGuest(1), PROGRAM, 5).outputs[0] }, ...d.context.unacked] as const;
    expect(replayLog(initialGuest(1), PROGRAM, log as never).guest).toEqual(d.context.guest);
  });

  it('sends the last append once the one in flight is acked, and is sealed by its ack; later inputs are late', () => {
    const d = new Driver(replayRecorderMachine, { ...input, instructions: 5 });
    d.send({ type: 'recorder.tick' });
    expect(d.value).toBe('finishing');
    expect(sendsOf(d.last.actions)[0]?.event).toMatchObject({ type: 'store.append', from: 0, last: true });
    d.send({ type: 'recorder.acked', upTo: 1, sealed: true });
    d.send({ type: 'recorder.irq', vector: 1 });
    expect([d.value, d.context.stats.lateInputs, d.context.unacked]).toEqual(['sealed', 1, []]);
  });

  it('resends an unacked append a bounded number of times, then gives up', () => {
    const d = new Driver(replayRecorderMachine, input);
    d.send({ type: 'recorder.tick' });
    expect(sendsOf(d.send({ type: 'recorder.retransmit' }).actions)).toHaveLength(1);
    d.send({ type: 'recorder.retransmit' });
    expect([d.value, d.context.stats.resends]).toEqual(['gaveUp', 1]);
  });

  it('after a restart it tells the store the log ends where it ends', () => {
    const d = new Driver(replayRecorderMachine, input);
    expect(sendsOf(d.send({ type: 'host.restarted' }).actions)).toEqual([{ to: 's', event: { type: 'store.close' } }]);
    d.send({ type: 'recorder.acked', upTo: 0, sealed: false });
    expect(d.value).toBe('closing');
    d.send({ type: 'recorder.acked', upTo: 0, sealed: true });
    expect(d.value).toBe('closed');
  });

  // A crash drops what was addressed to the host, but an append it sent before may still be acked as it restarts:
  // the fresh recorder can take that ack before `host.restarted` (check replay-analysis --config rec-crash).
  it("ignores an ack with nothing in flight (a previous life's), but throws on an ack past the append in flight", () => {
    const fresh = new Driver(replayRecorderMachine, input);
    const before = fresh.context;
    expect(sendsOf(fresh.send({ type: 'recorder.acked', upTo: 3, sealed: false }).actions)).toEqual([]);
    expect([fresh.value, fresh.context]).toEqual(['recording', before]);
    const d = new Driver(replayRecorderMachine, input);
    d.send({ type: 'recorder.tick' });
    expect(d.context.sentUpTo).toBeGreaterThanOrEqual(0);
    const held = d.context.acked + d.context.unacked.length;
    expect(() => d.send({ type: 'recorder.acked', upTo: held + 1, sealed: false })).toThrow(
      new RegExp(`acked ${held + 1} entries of ${held}`),
    );
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { snapshot, sent } = expectActorMatchesStepper(replayRecorderMachine, input, replayRecorderSampleEvents);
    expect(snapshot.value).toBe('closed');
    expect(sent.map((s) => s.event.type)).toEqual(['store.append', 'store.append', 'store.close']);
  });
});
