// Unit tests of the quasi-lockstep primary (M5): a slice logs inputs, the timer interrupt and outputs in order and
// holds the outputs; agreements release them in order only; a resync gets the current state; alone, output is direct.

import { describe, expect, it } from 'vitest';
import { applyIrq, initialGuest, runTo } from '../../dataplane/detGuest.js';
import {
  type LockstepPrimaryInput,
  lockstepPrimaryMachine,
  lockstepPrimarySampleEvents,
} from '../../machines/lockstepPrimaryMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const prog = { outputEvery: 5, ptWriteEvery: 3, tBit: true };
const input: LockstepPrimaryInput = {
  ...{ self: 'primary/ft', secondary: 'secondary/ft', client: 'world/client', prog, seed: 7 },
  ...{ sliceUs: 10, sliceInstructions: 10, slices: 2, irqEverySlices: 2, window: 16, heldMax: 4 },
  ...{ inputQueueMax: 2, resendSlices: 2, peerTimeoutUs: 100 },
};

type Sent = { to: string; event: { type: string; records?: { seq: number; entry: { kind: string } }[] } };
const sends = (d: Driver<typeof lockstepPrimaryMachine>) => sendsOf(d.last.actions) as Sent[];

describe('lockstepPrimaryMachine', () => {
  it('logs the queued input, the timer interrupt and the outputs of a slice in order, and holds the outputs', () => {
    const d = new Driver(lockstepPrimaryMachine, input);
    expect(timersOf(d.last.actions).map((t) => t.id)).toEqual(['lsp.slice', 'lsp.peer']);
    d.send({ type: 'lockstep.input', value: 9 });
    d.send({ type: 'lockstep.input', value: 10 });
    d.send({ type: 'lockstep.input', value: 11 });
    expect(d.context.stats.inputsDropped).toBe(1);
    d.send({ type: 'lsp.slice' });
    const [log] = sends(d);
    expect(log?.to).toBe('secondary/ft');
    expect(log?.event.records?.map((r) => `${r.seq}:${r.entry.kind}`)).toEqual([
      '1:input',
      '2:input',
      '3:irq',
      '4:output',
      '5:output',
    ]);
    expect(d.context.held.map((h) => h.seq)).toEqual([1, 2]);
    expect(sends(d).filter((s) => s.to === 'world/client')).toEqual([]);
  });

  it('releases outputs only when agreed, in order, and not on a payload the secondary did not produce', () => {
    const d = new Driver(lockstepPrimaryMachine, input);
    d.send({ type: 'lsp.slice' });
    const [a, b] = d.context.held;
    if (a === undefined || b === undefined) throw new Error('expected two held outputs');
    d.send({ type: 'lsp.ack', received: 4, agreed: [{ seq: b.seq, payload: b.payload }], done: false });
    expect(sends(d)).toEqual([]);
    d.send({ type: 'lsp.ack', received: 4, agreed: [{ seq: a.seq, payload: a.payload ^ 1 }], done: false });
    expect(sends(d)).toEqual([]);
    expect(d.context.stats.disagreements).toBe(1);
    d.send({ type: 'lsp.ack', received: 4, agreed: [{ seq: a.seq, payload: a.payload }], done: false });
    expect(sends(d).map((s) => s.event)).toEqual([
      { type: 'client.output', seq: 1, payload: a.payload, replyTo: 'primary/ft' },
      { type: 'client.output', seq: 2, payload: b.payload, replyTo: 'primary/ft' },
    ]);
    expect([d.context.log.length, d.context.held.length, d.context.dispatched]).toEqual([0, 0, 2]);
  });

  it('resends unacknowledged records after resendSlices, answers a resync with its current state, and finishes', () => {
    const d = new Driver(lockstepPrimaryMachine, input);
    d.send({ type: 'lsp.slice' });
    d.send({ type: 'lsp.slice' });
    expect(sends(d)[0]?.event.records?.map((r) => r.seq)).toEqual([4, 5]);
    d.send({ type: 'lsp.slice' });
    expect(sends(d)[0]?.event.records?.map((r) => r.seq)).toEqual([1, 2, 3]);
    d.send({ type: 'lsp.resync', id: 1, at: 2 });
    const state = sends(d)[0]?.event as unknown as { guest: unknown; nextSeq: number; held: unknown[] };
    // The guest as it is now: two slices, the timer interrupt taken at the start of the first.
    expect(state.guest).toEqual(runTo(applyIrq(initialGuest(7), 32), prog, 20).guest);
    expect([state.nextSeq, state.held.length, d.context.stats.resyncs]).toEqual([6, 4, 1]);
    d.send({ type: 'lsp.resync', id: 1, at: 2 });
    expect(d.context.stats.resyncs).toBe(1);
    const agreed = d.context.held.map(({ seq, payload }) => ({ seq, payload }));
    d.send({ type: 'lsp.ack', received: 5, agreed, done: true });
    d.send({ type: 'lsp.slice' });
    expect(d.value).toBe('finished');
  });

  it('stalls the guest when the held outputs are at their limit', () => {
    const d = new Driver(lockstepPrimaryMachine, { ...input, heldMax: 1, slices: 3 });
    d.send({ type: 'lsp.slice' });
    d.send({ type: 'lsp.slice' });
    expect([d.context.slice, d.context.stats.stalls]).toEqual([1, 1]);
  });

  it('alone after losing the secondary: held outputs go out at once, then each as it is produced', () => {
    const d = new Driver(lockstepPrimaryMachine, input);
    d.send({ type: 'lsp.slice' });
    d.send({ type: 'lsp.peerLost' });
    expect(d.value).toBe('alone');
    expect(sends(d).map((s) => s.to)).toEqual(['world/client', 'world/client']);
    d.send({ type: 'lsp.slice' });
    expect(sends(d).map((s) => (s.event as unknown as { seq: number }).seq)).toEqual([3, 4]);
    expect(d.context.stats.dispatchedAlone).toBe(4);
    d.send({ type: 'lsp.slice' });
    expect(d.value).toBe('finished');
  });

  it('runs as a plain XState actor exactly as under the kernel stepper', () => {
    expectActorMatchesStepper(lockstepPrimaryMachine, input, lockstepPrimarySampleEvents);
  });
});
