// Unit tests of M9's swap device: reads on free channels, a bounded FIFO queue behind them, duplicates (resent
// requests) dropped, refusal when full, answers to the pager in service order; and a plain XState actor.

import { describe, expect, it } from 'vitest';
import type { SwapDeviceEvent } from '../../machines/schedEvents.js';
import {
  type SwapDeviceInput,
  serviceTimerId,
  swapDeviceMachine,
  swapDeviceSampleEvents,
} from '../../machines/swapDeviceMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const PAGER = 'vmhost/vm0/pager';
const input: SwapDeviceInput = { pager: PAGER, serviceUs: 5, channels: 1, queueMax: 1 };

const read = (op: number, page: number): SwapDeviceEvent => ({ type: 'swap.read', op, page });
const served = (slot: number): SwapDeviceEvent => ({ type: 'swap.served', slot });
const answer = (op: number, page: number) => ({ to: PAGER, event: { type: 'pager.pageIn', op, page } });

type Swap = Driver<typeof swapDeviceMachine>;
const boot = (i: SwapDeviceInput = input): Swap => new Driver(swapDeviceMachine, i);

describe('swapDeviceMachine', () => {
  it('starts a read on a free channel for its service time', () => {
    const d = boot();
    const out = d.send(read(0, 3));
    expect(d.value).toBe('busy');
    expect(timersOf(out.actions)).toEqual([{ id: serviceTimerId(0), delay: 5, type: 'swap.served' }]);
    expect(sendsOf(d.send(served(0)).actions)).toEqual([answer(0, 3)]);
    expect(d.value).toBe('idle');
  });

  it('queues behind a busy channel, serves in order, refuses past the bound and drops duplicates', () => {
    const d = boot();
    d.sendAll([read(0, 3), read(1, 4), read(2, 5), read(0, 3), read(1, 4)]);
    expect(d.context.queue).toEqual([{ op: 1, page: 4 }]);
    expect(d.context.stats).toEqual({ reads: 0, duplicates: 2, refused: 1 });
    const out = d.send(served(0));
    expect(sendsOf(out.actions)).toEqual([answer(0, 3)]);
    expect(timersOf(out.actions)).toEqual([{ id: serviceTimerId(0), delay: 5, type: 'swap.served' }]);
    expect(d.value).toBe('busy');
    expect(sendsOf(d.send(served(0)).actions)).toEqual([answer(1, 4)]);
    expect(d.value).toBe('idle');
  });

  it('serves on several channels at once, each on its own timer', () => {
    const d = boot({ ...input, channels: 2 });
    const first = d.send(read(0, 3));
    const second = d.send(read(1, 4));
    expect(timersOf(first.actions).map((t) => t.id)).toEqual([serviceTimerId(0)]);
    expect(timersOf(second.actions).map((t) => t.id)).toEqual([serviceTimerId(1)]);
    expect(sendsOf(d.send(served(1)).actions)).toEqual([answer(1, 4)]);
    expect(d.value).toBe('busy');
    d.send(served(0));
    expect(d.value).toBe('idle');
    const failed = boot({ ...input, channels: 0 }).snapshot as { status: string; error?: unknown };
    expect([failed.status, String(failed.error)]).toEqual([
      'error',
      'Error: swapDevice: channels 0: at least 1 is needed',
    ]);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent, snapshot } = expectActorMatchesStepper(swapDeviceMachine, input, swapDeviceSampleEvents);
    expect(sent).toEqual([
      { type: 'send', ...answer(0, 3) },
      { type: 'send', ...answer(1, 65536) },
    ]);
    expect(snapshot.context.stats).toEqual({ reads: 2, duplicates: 1, refused: 0 });
  });
});
