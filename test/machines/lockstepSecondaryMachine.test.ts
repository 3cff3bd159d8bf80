// Unit tests of the quasi-lockstep secondary (M5): it replays the primary's log once per record whatever the link
// does, agrees with what its own replay produced, tolerates an internal divergence, resyncs on an output one, goes live.

import { describe, expect, it } from 'vitest';
import { applyIrq, initialGuest, runTo } from '../../dataplane/detGuest.js';
import type { LockstepSecondaryEvent, LogRecord } from '../../machines/lockstepEvents.js';
import {
  type LockstepSecondaryInput,
  lockstepSecondaryMachine,
  lockstepSecondarySampleEvents,
} from '../../machines/lockstepSecondaryMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const prog = { outputEvery: 5, ptWriteEvery: 3, tBit: true };
const input: LockstepSecondaryInput = {
  ...{ self: 'secondary/ft', primary: 'primary/ft', client: 'world/client', prog, seed: 7 },
  ...{ sliceUs: 10, sliceInstructions: 10, slices: 2, irqEverySlices: 2, inputQueueMax: 2 },
  ...{ reorderMax: 8, resendSlices: 2, peerTimeoutUs: 100 },
};

/** The primary's log of its first slice: the timer interrupt, then two outputs. */
function primaryLog(): LogRecord[] {
  const g = applyIrq(initialGuest(7), 32);
  const outs = runTo(g, prog, 10).outputs;
  return [
    { seq: 1, entry: { kind: 'irq', at: 0, vector: 32 } },
    ...outs.map((o, i) => ({ seq: 2 + i, entry: { kind: 'output' as const, ...o } })),
  ];
}

const log = (records: LogRecord[], extra: Partial<{ dispatched: number; end: number; halted: boolean }> = {}) =>
  ({ type: 'lss.log', records, dispatched: 0, end: 4, halted: false, ...extra }) as LockstepSecondaryEvent;
type Ack = { type: string; received: number; agreed: { seq: number; payload: number }[]; done: boolean };
const sent = (d: Driver<typeof lockstepSecondaryMachine>) => sendsOf(d.last.actions).map((s) => s.event as Ack);

describe('lockstepSecondaryMachine', () => {
  it('replays the log and agrees on each output with the payload its own replay produced', () => {
    const d = new Driver(lockstepSecondaryMachine, input);
    expect(timersOf(d.last.actions).map((t) => t.id)).toEqual(['lss.peer']);
    const recs = primaryLog();
    d.send(log(recs));
    const payloads = recs.flatMap((r) => (r.entry.kind === 'output' ? [r.entry.payload] : []));
    expect(sent(d)).toEqual([
      {
        type: 'lsp.ack',
        received: 3,
        agreed: payloads.map((payload, i) => ({ seq: i + 1, payload })),
        done: false,
      },
    ]);
    d.send(log(recs, { dispatched: 2 }));
    expect(d.context.stats.duplicates).toBe(3);
    expect([d.context.agreed, d.context.stats.applied]).toEqual([[], 3]);
  });

  it('keeps records that arrive ahead of a missing one and applies each once when it comes', () => {
    const d = new Driver(lockstepSecondaryMachine, input);
    const [irq, o1, o2] = primaryLog();
    if (irq === undefined || o1 === undefined || o2 === undefined) throw new Error('expected three records');
    d.send(log([o2]));
    expect([d.context.next, d.context.early.length, sent(d)[0]?.received]).toEqual([1, 1, 0]);
    d.send(log([irq, o1, o2]));
    expect([d.context.next, d.context.early.length, d.context.stats.applied]).toEqual([4, 0, 3]);
  });

  it('tolerates a flipped statistics word, and asks for a resync when a data-word flip reaches an output', () => {
    const recs = primaryLog();
    const tolerant = new Driver(lockstepSecondaryMachine, input);
    tolerant.send({ type: 'lss.inject', kind: 'stats', word: 1, mask: 0xff });
    tolerant.send(log(recs));
    expect([tolerant.value, tolerant.context.stats.agreements]).toEqual(['following', 2]);
    const d = new Driver(lockstepSecondaryMachine, input);
    d.send({ type: 'lss.inject', kind: 'data', word: 0, mask: 0xff });
    d.send(log(recs));
    expect(d.value).toBe('resyncing');
    expect(sent(d)).toEqual([{ type: 'lsp.resync', id: 1, at: 2 }]);
    const state = { type: 'lss.state' as const, guest: runTo(initialGuest(7), prog, 10).guest, nextSeq: 4 };
    const held = [{ seq: 1, payload: 5 }];
    d.send({ ...state, id: 0, held, dispatched: 0 });
    expect(d.value).toBe('resyncing');
    d.send({ ...state, id: 1, held, dispatched: 0 });
    expect(d.value).toBe('following');
    expect(sent(d)).toEqual([{ type: 'lsp.ack', received: 3, agreed: held, done: false }]);
  });

  it('repeats an unanswered resync request every resendSlices log messages', () => {
    const d = new Driver(lockstepSecondaryMachine, input);
    d.send({ type: 'lss.inject', kind: 'data', word: 0, mask: 0xff });
    d.send(log(primaryLog()));
    d.send(log([]));
    expect(sent(d)).toEqual([]);
    d.send(log([]));
    expect(sent(d)).toEqual([{ type: 'lsp.resync', id: 1, at: 2 }]);
  });

  it('goes live on primary loss: first the agreed outputs not known dispatched, then its own slices', () => {
    const d = new Driver(lockstepSecondaryMachine, input);
    const recs = primaryLog();
    d.send(log(recs, { dispatched: 1 }));
    d.send({ type: 'lss.peerLost' });
    expect(d.value).toBe('live');
    expect(sendsOf(d.last.actions).map((s) => [s.to, (s.event as { seq: number }).seq])).toEqual([['world/client', 2]]);
    d.send({ type: 'lockstep.input', value: 3 });
    d.send({ type: 'lss.slice' });
    expect(sendsOf(d.last.actions).map((s) => (s.event as { seq: number }).seq)).toEqual([3, 4]);
    d.send({ type: 'lss.slice' });
    expect(d.value).toBe('halted');
  });

  it('is done once the halted log is applied and every output dispatched: no failover after that', () => {
    const d = new Driver(lockstepSecondaryMachine, input);
    d.send(log(primaryLog(), { halted: true }));
    expect(d.value).toBe('following');
    d.send(log([], { halted: true, dispatched: 2 }));
    expect(d.value).toBe('done');
    expect(sent(d)[0]?.done).toBe(true);
  });

  it('runs as a plain XState actor exactly as under the kernel stepper', () => {
    expectActorMatchesStepper(lockstepSecondaryMachine, input, lockstepSecondarySampleEvents);
  });
});
