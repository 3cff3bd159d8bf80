// Unit tests of the host's free-page pool (M10): grants from the free list, a bounded queue with a bounded wait when
// empty, released frames serving the oldest waiter first, denials (guest OOM), and a plain XState actor.

import { describe, expect, it } from 'vitest';
import {
  type PagePoolInput,
  pagePoolMachine,
  pagePoolSampleEvents,
  waitTimerId,
} from '../../machines/pagePoolMachine.js';
import { cancelAction, Driver, expectActorMatchesStepper, raiseAction, sendsOf } from './helpers.js';

const A = 'host0/vm0/memory';
const B = 'host0/vm1/memory';
const input: PagePoolInput = { free: [], queueMax: 1, waitUs: 30 };
const boot = (over: Partial<PagePoolInput> = {}) => new Driver(pagePoolMachine, { ...input, ...over });
const alloc = (replyTo: string, gfn: number) => ({ type: 'pool.alloc' as const, replyTo, gfn });
const granted = (to: string, gfn: number, frame: number, queued: boolean) => ({
  to,
  event: { type: 'vmm.granted', gfn, frame, queued },
});

describe('pagePoolMachine', () => {
  it('grants free frames in order and tracks its low water mark', () => {
    const d = boot({ free: [8, 9] });
    expect(sendsOf(d.send(alloc(A, 3)).actions)).toEqual([granted(A, 3, 8, false)]);
    expect(sendsOf(d.send(alloc(B, 1)).actions)).toEqual([granted(B, 1, 9, false)]);
    expect(d.context.stats).toMatchObject({ grants: 2, lowWater: 0 });
  });

  it('out of frames: queues up to queueMax with a wait timer, denies beyond it', () => {
    const d = boot();
    const out = d.send(alloc(A, 3));
    expect(sendsOf(out.actions)).toEqual([]);
    expect(out.actions).toContainEqual(raiseAction({ type: 'pool.waitExpired', replyTo: A }, waitTimerId(A), 30));
    expect(sendsOf(d.send(alloc(B, 1)).actions)).toEqual([{ to: B, event: { type: 'vmm.denied', gfn: 1 } }]);
    expect(d.context.stats).toMatchObject({ queued: 1, denied: 1 });
  });

  it('released frames serve the waiters first, cancelling their timers; the rest join the free list', () => {
    const d = boot({ queueMax: 2 });
    d.sendAll([alloc(A, 3), alloc(B, 1)]);
    const out = d.send({ type: 'pool.release', vm: 2, gfns: [0, 1, 2], frames: [20, 21, 22] });
    expect(sendsOf(out.actions)).toEqual([granted(A, 3, 20, true), granted(B, 1, 21, true)]);
    expect(out.actions).toContainEqual(cancelAction(waitTimerId(A)));
    expect(d.context.free).toEqual([22]);
    expect(d.context.waiters).toEqual([]);
    expect(d.context.stats).toMatchObject({ grants: 2, released: 3 });
  });

  it('a wait that expires is denied; an expiry after the grant does nothing; a repeated request is not queued twice', () => {
    const d = boot();
    d.sendAll([alloc(A, 3), alloc(A, 3)]);
    expect(d.context.waiters).toEqual([{ replyTo: A, gfn: 3 }]);
    expect(sendsOf(d.send({ type: 'pool.waitExpired', replyTo: A }).actions)).toEqual([
      { to: A, event: { type: 'vmm.denied', gfn: 3 } },
    ]);
    expect(sendsOf(d.send({ type: 'pool.waitExpired', replyTo: A }).actions)).toEqual([]);
    expect(d.context.stats.denied).toBe(1);
  });

  it('runs under createActor as under the stepper for its sample events', () => {
    const { sent } = expectActorMatchesStepper(pagePoolMachine, input, pagePoolSampleEvents);
    expect(sent.map((s) => [s.to, s.event.type])).toEqual([
      [B, 'vmm.denied'],
      [A, 'vmm.granted'],
      [B, 'vmm.granted'],
    ]);
  });
});
