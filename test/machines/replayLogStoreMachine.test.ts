// Unit tests of the log store (M6): appends are idempotent by index and acked, the last one seals the log complete,
// a close seals it truncated and nothing extends a sealed log, fetches are served in chunks; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  type ReplayLogStoreInput,
  replayLogStoreMachine,
  replayLogStoreSampleEvents,
} from '../../machines/replayLogStoreMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: ReplayLogStoreInput = { recorder: 'r', replayer: 'p' };
const IRQ = { kind: 'irq', at: 2, vector: 32 } as const;
const OUT = { kind: 'output', at: 5, seq: 1, payload: 9 } as const;

describe('replayLogStoreMachine', () => {
  it('takes each entry once, acks what it holds, and seals the log with the last append', () => {
    const d = new Driver(replayLogStoreMachine, input);
    d.send({ type: 'store.append', from: 0, entries: [IRQ], last: false });
    expect(sendsOf(d.send({ type: 'store.append', from: 0, entries: [IRQ, OUT], last: true }).actions)).toEqual([
      { to: 'r', event: { type: 'recorder.acked', upTo: 2, sealed: true } },
    ]);
    expect([d.context.log, d.context.seal, d.context.stats.duplicates]).toEqual([[IRQ, OUT], 'complete', 0]);
    expect(() => d.send({ type: 'store.append', from: 5, entries: [], last: false })).toThrow(/gap/);
  });

  it('a close seals the log truncated; a late append of the lost recording is acked but not taken', () => {
    const d = new Driver(replayLogStoreMachine, input);
    d.send({ type: 'store.append', from: 0, entries: [IRQ], last: false });
    d.send({ type: 'store.close' });
    const ack = sendsOf(d.send({ type: 'store.append', from: 1, entries: [OUT], last: true }).actions);
    expect(ack).toEqual([{ to: 'r', event: { type: 'recorder.acked', upTo: 1, sealed: true } }]);
    expect([d.context.log, d.context.seal]).toEqual([[IRQ], 'truncated']);
  });

  it('serves chunks of at most the size asked, saying whether the log is sealed and how long it is', () => {
    const d = new Driver(replayLogStoreMachine, input);
    d.send({ type: 'store.append', from: 0, entries: [IRQ, OUT], last: false });
    expect(sendsOf(d.send({ type: 'store.fetch', from: 1, max: 4 }).actions)).toEqual([
      { to: 'p', event: { type: 'replay.chunk', from: 1, entries: [OUT], sealed: false, total: 2 } },
    ]);
    expect(() => d.send({ type: 'store.fetch', from: 0, max: 0 })).toThrow(/fetch/);
  });

  it('runs under createActor as under the stepper for its sample events, keeping the replay’s reports', () => {
    const { snapshot } = expectActorMatchesStepper(replayLogStoreMachine, input, replayLogStoreSampleEvents);
    expect(snapshot.context.seal).toBe('complete');
    expect(snapshot.context.replayed.outputs).toBe(1);
    expect(snapshot.context.replayed.analyses.map((a) => a.result === null)).toEqual([false, true]);
    expect(snapshot.context.replayed.finished).toEqual({ entries: 2, icount: 5, digest: 7 });
  });
});
