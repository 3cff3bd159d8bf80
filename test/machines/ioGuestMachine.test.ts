// Unit tests of M15/M16's guest workload: a window of accesses over the resources, the next one issued as each is
// answered, bounded resends, giving up, stale answers; and it runs as a plain actor.

import { describe, expect, it } from 'vitest';
import type { IoGuestEvent } from '../../machines/faultyEvents.js';
import { type IoGuestInput, ioGuestMachine, ioGuestSampleEvents, retryTimerId } from '../../machines/ioGuestMachine.js';
import { Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const MMU = 'cpu/mmu';
const input: IoGuestInput = { mmu: MMU, accesses: 3, window: 2, resources: 2, retransmitUs: 100, maxRetries: 1 };
const access = (op: number) => ({ to: MMU, event: { type: 'mmu.access', op, resource: op % 2 } });
const answered = (op: number): IoGuestEvent => ({ type: 'io.answered', op, resource: op % 2, value: 1, kind: 'real' });

describe('ioGuest', () => {
  it('keeps a window of accesses outstanding and finishes when all are answered', () => {
    const d = new Driver(ioGuestMachine, input);
    const start = d.send({ type: 'io.start' });
    expect(sendsOf(start.actions)).toEqual([access(0), access(1)]);
    expect(timersOf(start.actions).map((t) => t.id)).toEqual([retryTimerId(0), retryTimerId(1)]);
    expect(sendsOf(d.send(answered(1)).actions)).toEqual([access(2)]);
    d.sendAll([answered(0), answered(1), answered(2)]);
    expect(d.value).toBe('done');
    expect(d.context.stats).toMatchObject({ real: 3, stale: 1 });
  });

  it('resends an unanswered access a bounded number of times, then gives up on it', () => {
    const d = new Driver(ioGuestMachine, { ...input, accesses: 1, window: 1 });
    d.send({ type: 'io.start' });
    expect(sendsOf(d.send({ type: 'io.retry', slot: 0 }).actions)).toEqual([access(0)]);
    expect(sendsOf(d.send({ type: 'io.retry', slot: 0 }).actions)).toEqual([]);
    expect(d.value).toBe('done');
    expect(d.context.stats).toMatchObject({ retransmits: 1, gaveUp: 1 });
  });

  it('runs as a plain XState actor with the same result as the kernel stepper', () => {
    const { sent } = expectActorMatchesStepper(ioGuestMachine, input, ioGuestSampleEvents);
    expect(sent).toHaveLength(4);
  });
});
