// Unit tests of the outside world's receiver: each VM's stream reaches the application once and in order,
// repeats are dropped, early packets wait within the window; and the same machine under a plain XState actor.

import { describe, expect, it } from 'vitest';
import type { ReceiverEvent } from '../../machines/haEvents.js';
import { type ReceiverInput, receiverMachine, receiverSampleEvents } from '../../machines/receiverMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf } from './helpers.js';

const input: ReceiverInput = { vms: [0, 1], app: 'world/app', windowPackets: 2 };

const pkt = (vm: number, seq: number, host = 'hostA'): ReceiverEvent => ({
  type: 'wire.packet',
  vm,
  seq,
  payload: 100 * vm + seq,
  epoch: 1,
  host,
});
const deliver = (vm: number, seq: number) => ({
  to: 'world/app',
  event: { type: 'app.deliver', vm, seq, payload: 100 * vm + seq },
});

type Receiver = Driver<typeof receiverMachine>;
const boot = (): Receiver => new Driver(receiverMachine, input);
const stream = (d: Receiver, vm: number) => d.context.streams[String(vm)];

describe('receiverMachine', () => {
  it('boots listening with every stream expecting seq 1', () => {
    const d = boot();
    expect(d.value).toBe('listening');
    expect(d.context.streams).toEqual({
      0: { next: 1, early: [], duplicates: 0, dropped: 0 },
      1: { next: 1, early: [], duplicates: 0, dropped: 0 },
    });
  });

  it('hands the application the next packet of a stream at once', () => {
    const d = boot();
    expect(sendsOf(d.send(pkt(0, 1)).actions)).toEqual([deliver(0, 1)]);
    expect(sendsOf(d.send(pkt(0, 2)).actions)).toEqual([deliver(0, 2)]);
    expect(stream(d, 0)?.next).toBe(3);
  });

  it('keeps the streams of different VMs apart', () => {
    const d = boot();
    d.send(pkt(0, 1));
    expect(sendsOf(d.send(pkt(1, 1)).actions)).toEqual([deliver(1, 1)]);
    expect(stream(d, 0)?.next).toBe(2);
    expect(stream(d, 1)?.next).toBe(2);
  });

  it('drops a repeat of a delivered packet (whichever host sent it), counting a duplicate', () => {
    const d = boot();
    d.send(pkt(0, 1));
    expect(sendsOf(d.send(pkt(0, 1, 'hostB')).actions)).toEqual([]);
    expect(stream(d, 0)).toMatchObject({ next: 2, duplicates: 1 });
  });

  it('holds an early packet, sorted by seq, without delivering it', () => {
    const d = boot();
    expect(sendsOf(d.send(pkt(0, 4)).actions)).toEqual([]);
    expect(sendsOf(d.send(pkt(0, 3)).actions)).toEqual([]);
    expect(stream(d, 0)?.early.map((p) => p.seq)).toEqual([3, 4]);
  });

  it('drops a repeat of a held early packet, counting a duplicate', () => {
    const d = boot();
    d.send(pkt(0, 3));
    d.send(pkt(0, 3));
    expect(stream(d, 0)).toMatchObject({ duplicates: 1 });
    expect(stream(d, 0)?.early.map((p) => p.seq)).toEqual([3]);
  });

  it('when the gap fills, hands over the packet and every held one that follows on, in order, in one step', () => {
    const d = boot();
    d.send(pkt(0, 2));
    d.send(pkt(0, 3));
    expect(sendsOf(d.send(pkt(0, 1)).actions)).toEqual([deliver(0, 1), deliver(0, 2), deliver(0, 3)]);
    expect(stream(d, 0)).toMatchObject({ next: 4, early: [] });
  });

  it('hands over only the held packets that follow on without a gap', () => {
    const d = boot();
    d.send(pkt(0, 2));
    d.send(pkt(0, 4));
    expect(sendsOf(d.send(pkt(0, 1)).actions)).toEqual([deliver(0, 1), deliver(0, 2)]);
    expect(stream(d, 0)?.early.map((p) => p.seq)).toEqual([4]);
  });

  it('drops an early packet once windowPackets are held, counting it', () => {
    const d = boot();
    d.send(pkt(0, 3));
    d.send(pkt(0, 4));
    expect(sendsOf(d.send(pkt(0, 5)).actions)).toEqual([]);
    expect(stream(d, 0)).toMatchObject({ dropped: 1 });
    expect(stream(d, 0)?.early.map((p) => p.seq)).toEqual([3, 4]);
  });

  it('counts every packet off the wire, delivered, repeated, held or dropped', () => {
    const d = boot();
    for (const p of [pkt(0, 1), pkt(0, 1), pkt(0, 3), pkt(0, 4), pkt(0, 5)]) d.send(p);
    expect(d.context.wirePackets).toBe(5);
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const events: ReceiverEvent[] = [...receiverSampleEvents, pkt(0, 2), pkt(1, 2), pkt(1, 1)];
    const { sent } = expectActorMatchesStepper(receiverMachine, input, events);
    expect(sent.map((m) => [m.event.vm, m.event.seq])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 1],
      [1, 2],
    ]);
  });
});
