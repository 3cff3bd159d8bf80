// Unit tests of the outside world's receiver: in-order delivery with a rolling digest, duplicates dropped,
// gaps counted, streams created on the fly, and a run as an ordinary XState actor matching the kernel.

import { describe, expect, it } from 'vitest';
import { DIGEST_SEED, streamStep } from '../../actors/guest.js';
import type { ReceiverEvent } from '../../machines/haEvents.js';
import { type ReceiverContext, receiverMachine, receiverSampleEvents } from '../../machines/receiverMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { expectActorMatchesStepper, stepThrough } from './helpers.js';

const input = { vms: [0, 1] };

const packet = (vm: number, seq: number, payload: number, host = 'hostA', epoch = 1): ReceiverEvent => ({
  type: 'wire.packet',
  vm,
  seq,
  payload,
  epoch,
  host,
});

function run(events: readonly ReceiverEvent[]) {
  const { stepper, out } = stepThrough(receiverMachine, input, events);
  return { stepper, out, ctx: out.snapshot.context as ReceiverContext };
}

const fresh = { next: 1, delivered: 0, digest: DIGEST_SEED, duplicates: 0, gaps: 0, lastHost: '' };

describe('receiverMachine', () => {
  it('starts listening with an empty stream per VM', () => {
    const { out, ctx } = run([]);
    expect(out.snapshot.value).toBe('listening');
    expect(ctx).toEqual({ streams: { '0': fresh, '1': fresh }, wirePackets: 0, hostsSeen: [] });
  });

  it('delivers in order, with the digest equal to streamStep over the payloads', () => {
    const payloads = [17, 4_000_000_000, 0, 99];
    const { out, ctx } = run(payloads.map((p, i) => packet(0, i + 1, p)));
    expect(out.snapshot.value).toBe('listening');
    expect(out.actions).toEqual([]);
    expect(ctx.streams['0']).toEqual({
      next: 5,
      delivered: 4,
      digest: payloads.reduce((d, p) => streamStep(d, p), DIGEST_SEED),
      duplicates: 0,
      gaps: 0,
      lastHost: 'hostA',
    });
    expect(ctx.streams['1']).toEqual(fresh);
    expect(ctx).toMatchObject({ wirePackets: 4, hostsSeen: ['hostA'] });
  });

  it('drops a duplicate sequence number and counts it, whichever host resent it', () => {
    const { ctx } = run([packet(0, 1, 10), packet(0, 2, 20), packet(0, 1, 10, 'hostB'), packet(0, 2, 20, 'hostB')]);
    expect(ctx.streams['0']).toMatchObject({ next: 3, delivered: 2, duplicates: 2, gaps: 0, lastHost: 'hostA' });
    expect(ctx.streams['0']?.digest).toBe(streamStep(streamStep(DIGEST_SEED, 10), 20));
    expect(ctx).toMatchObject({ wirePackets: 4, hostsSeen: ['hostA', 'hostB'] });
  });

  it('counts a packet that skips ahead as a gap without delivering it', () => {
    const { ctx } = run([packet(1, 1, 10), packet(1, 3, 30, 'hostB')]);
    expect(ctx.streams['1']).toMatchObject({ next: 2, delivered: 1, duplicates: 0, gaps: 1, lastHost: 'hostA' });
    expect(ctx.streams['1']?.digest).toBe(streamStep(DIGEST_SEED, 10));
    expect(ctx).toMatchObject({ wirePackets: 2, hostsSeen: ['hostA', 'hostB'] });
  });

  it('delivers from the new host after failover, continuing the same stream', () => {
    const { ctx } = run([packet(0, 1, 10), packet(0, 2, 20, 'hostB', 3), packet(0, 3, 30, 'hostB', -1)]);
    expect(ctx.streams['0']).toMatchObject({ next: 4, delivered: 3, lastHost: 'hostB' });
  });

  it('creates the stream of a VM it was not told about on the fly', () => {
    const { ctx } = run([packet(5, 1, 50), packet(6, 2, 60)]);
    expect(ctx.streams['5']).toEqual({
      ...fresh,
      next: 2,
      delivered: 1,
      digest: streamStep(DIGEST_SEED, 50),
      lastHost: 'hostA',
    });
    expect(ctx.streams['6']).toEqual({ ...fresh, gaps: 1 });
    expect(ctx.wirePackets).toBe(2);
  });

  it('leaves earlier snapshots untouched (copy-on-write)', () => {
    const s = new MachineStepper(receiverMachine, input);
    const start = s.initial(input).snapshot;
    const after = s.step(start, packet(0, 1, 10)).snapshot;
    expect((start.context as ReceiverContext).streams['0']).toEqual(fresh);
    expect((start.context as ReceiverContext).hostsSeen).toEqual([]);
    expect((after.context as ReceiverContext).streams['0']?.delivered).toBe(1);
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    const events = [...receiverSampleEvents, packet(0, 2, 1002, 'hostB'), packet(1, 1, 7)];
    const { snapshot } = expectActorMatchesStepper(receiverMachine, input, events);
    expect((snapshot.context as ReceiverContext).streams['0']).toMatchObject({ delivered: 2, duplicates: 1, gaps: 1 });
  });
});
