// Unit tests of the witness lease service: grant, deny, renew, expiry with its drift margin, the exclusive mode
// of degraded running and its end, and the durable record across a restart; also under a plain XState actor.

import { describe, expect, it } from 'vitest';
import type { WitnessEvent } from '../../machines/haEvents.js';
import { type WitnessInput, witnessMachine, witnessSampleEvents } from '../../machines/witnessMachine.js';
import { cancelsOf, Driver, expectActorMatchesStepper, sendsOf, timersOf } from './helpers.js';

const input: WitnessInput = { leaseUs: 1000, skewUs: 50 };
const EXPIRY = { id: 'witness.lease', delay: 1050, type: 'lease.expired' };

const replyTo = (holder: string) => (holder === 'hostA' ? 'hostA/coordinator' : 'hostB/replica');
const ask = (type: 'lease.acquire' | 'lease.degrade' | 'lease.protect', holder: string, requestId: number) =>
  ({ type, holder, replyTo: replyTo(holder), requestId }) as WitnessEvent;
const reply = (type: string, holder: string, requestId: number) => ({
  to: replyTo(holder),
  event: { type, holder, requestId },
});

type Witness = Driver<typeof witnessMachine>;
const boot = (): Witness => new Driver(witnessMachine, input);

/** hostA holds the lease and has asked to be the only one (exclusive). */
function exclusiveA(d: Witness) {
  d.send(ask('lease.acquire', 'hostA', 1));
  d.send(ask('lease.degrade', 'hostA', 1));
  expect(d.context.exclusive).toBe('hostA');
}

describe('witnessMachine', () => {
  it('boots free, with no holder and nobody exclusive', () => {
    const d = boot();
    expect(d.value).toBe('free');
    expect(d.context).toMatchObject({ holder: null, exclusive: null, grants: 0, denials: 0 });
  });

  // ha-partition takeover-then-cut with the primary isolated at 50 µs, before its first request reached the witness.
  it('deposes the starting primary when another host is granted first, so it never gets the lease back', () => {
    const d = new Driver(witnessMachine, { ...input, startingPrimary: 'hostA' });
    expect(sendsOf(d.send(ask('lease.acquire', 'hostB', 1)).actions)).toEqual([reply('lease.granted', 'hostB', 1)]);
    expect(d.context.deposed).toEqual(['hostA']);
    d.send({ type: 'lease.expired' });
    expect(sendsOf(d.send(ask('lease.acquire', 'hostA', 2)).actions)).toEqual([reply('lease.denied', 'hostA', 2)]);
    // Without a starting primary on record, the first grant takes nothing over and hostA could come back.
    const unknown = boot();
    unknown.send(ask('lease.acquire', 'hostB', 1));
    expect(unknown.context.deposed).toEqual([]);
    const first = new Driver(witnessMachine, { ...input, startingPrimary: 'hostA' });
    first.send(ask('lease.acquire', 'hostA', 1));
    expect(first.context.deposed).toEqual([]);
  });

  it('grants a free lease and arms its expiry for leaseUs + skewUs', () => {
    const d = boot();
    const out = d.send(ask('lease.acquire', 'hostA', 7));
    expect(d.value).toBe('held');
    expect(sendsOf(out.actions)).toEqual([reply('lease.granted', 'hostA', 7)]);
    expect(cancelsOf(out.actions)).toEqual([]);
    expect(timersOf(out.actions)).toEqual([EXPIRY]);
    expect(d.context).toMatchObject({ holder: 'hostA', grants: 1 });
  });

  it('renews for the holder: grants again and re-arms the expiry', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    const out = d.send(ask('lease.acquire', 'hostA', 2));
    expect(sendsOf(out.actions)).toEqual([reply('lease.granted', 'hostA', 2)]);
    // The re-arm replaces the pending timer with the same id (the kernel's timer rule): nothing is cancelled first.
    expect(cancelsOf(out.actions)).toEqual([]);
    expect(timersOf(out.actions)).toEqual([EXPIRY]);
    expect(d.context.grants).toBe(2);
  });

  it('never grants again to a holder another host took the lease over from; its own lapses do not depose it', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    d.send({ type: 'lease.expired' });
    // hostA's own lease lapsed and nobody took it: hostA may have it back.
    expect(sendsOf(d.send(ask('lease.acquire', 'hostA', 2)).actions)).toEqual([reply('lease.granted', 'hostA', 2)]);
    d.send({ type: 'lease.expired' });
    d.send(ask('lease.acquire', 'hostB', 1));
    expect(d.context.deposed).toEqual(['hostA']);
    d.send({ type: 'lease.expired' });
    // hostB let it lapse in turn (cut from the witness): hostA's state is stale, it is denied for good.
    expect(sendsOf(d.send(ask('lease.acquire', 'hostA', 3)).actions)).toEqual([reply('lease.denied', 'hostA', 3)]);
    expect(d.value).toBe('free');
    expect(sendsOf(d.send(ask('lease.acquire', 'hostB', 2)).actions)).toEqual([reply('lease.granted', 'hostB', 2)]);
  });

  it('denies a held lease to anyone else, counting the denial', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    const out = d.send(ask('lease.acquire', 'hostB', 1));
    expect(sendsOf(out.actions)).toEqual([reply('lease.denied', 'hostB', 1)]);
    expect(d.context).toMatchObject({ holder: 'hostA', denials: 1 });
  });

  it('frees the lease on expiry, after which another holder gets it', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    d.send({ type: 'lease.expired' });
    expect(d.value).toBe('free');
    expect(d.context.holder).toBeNull();
    expect(sendsOf(d.send(ask('lease.acquire', 'hostB', 1)).actions)).toEqual([reply('lease.granted', 'hostB', 1)]);
  });

  it('makes the holder exclusive on its lease.degrade and answers lease.degraded', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    const out = d.send(ask('lease.degrade', 'hostA', 4));
    expect(sendsOf(out.actions)).toEqual([reply('lease.degraded', 'hostA', 4)]);
    expect(d.context.exclusive).toBe('hostA');
  });

  it('refuses lease.degrade (lease.refused, not a lease denial) to a non-holder, and to anyone while the lease is free', () => {
    const d = boot();
    expect(sendsOf(d.send(ask('lease.degrade', 'hostA', 1)).actions)).toEqual([reply('lease.refused', 'hostA', 1)]);
    d.send(ask('lease.acquire', 'hostA', 1));
    expect(sendsOf(d.send(ask('lease.degrade', 'hostB', 2)).actions)).toEqual([reply('lease.refused', 'hostB', 2)]);
    expect(d.context.exclusive).toBeNull();
  });

  it('while exclusive, denies a free lease to others', () => {
    const d = boot();
    exclusiveA(d);
    d.send({ type: 'lease.expired' });
    const out = d.send(ask('lease.acquire', 'hostB', 3));
    expect(sendsOf(out.actions)).toEqual([reply('lease.denied', 'hostB', 3)]);
    expect(d.value).toBe('free');
  });

  it('while exclusive, grants a free lease to the exclusive holder', () => {
    const d = boot();
    exclusiveA(d);
    d.send({ type: 'lease.expired' });
    const out = d.send(ask('lease.acquire', 'hostA', 5));
    expect(sendsOf(out.actions)).toEqual([reply('lease.granted', 'hostA', 5)]);
    expect(d.context.holder).toBe('hostA');
  });

  it('ends exclusivity on lease.protect from the holder, answering lease.protected; others may then take it', () => {
    const d = boot();
    exclusiveA(d);
    const out = d.send(ask('lease.protect', 'hostA', 2));
    expect(sendsOf(out.actions)).toEqual([reply('lease.protected', 'hostA', 2)]);
    expect(d.context.exclusive).toBeNull();
    d.send({ type: 'lease.expired' });
    expect(sendsOf(d.send(ask('lease.acquire', 'hostB', 1)).actions)).toEqual([reply('lease.granted', 'hostB', 1)]);
  });

  it('refuses lease.protect to a non-holder (exclusivity stays), and to anyone while the lease is free', () => {
    const d = boot();
    exclusiveA(d);
    expect(sendsOf(d.send(ask('lease.protect', 'hostB', 1)).actions)).toEqual([reply('lease.refused', 'hostB', 1)]);
    expect(d.context.exclusive).toBe('hostA');
    d.send({ type: 'lease.expired' });
    expect(sendsOf(d.send(ask('lease.protect', 'hostA', 3)).actions)).toEqual([reply('lease.refused', 'hostA', 3)]);
    expect(d.context.exclusive).toBe('hostA');
  });

  it('on host.restarted while held re-arms a whole new expiry for the holder on record', () => {
    const d = boot();
    d.send(ask('lease.acquire', 'hostA', 1));
    const out = d.send({ type: 'host.restarted' });
    // The re-arm replaces the pending timer with the same id (the kernel's timer rule): nothing is cancelled first.
    expect(cancelsOf(out.actions)).toEqual([]);
    expect(timersOf(out.actions)).toEqual([EXPIRY]);
    expect(d.context.holder).toBe('hostA');
  });

  it('on host.restarted while free arms nothing', () => {
    const d = boot();
    expect(d.send({ type: 'host.restarted' }).actions).toEqual([]);
  });

  it('runs as an ordinary XState actor with the same snapshots and sends as under the kernel', () => {
    const events: WitnessEvent[] = [...witnessSampleEvents, ask('lease.acquire', 'hostA', 9)];
    const { sent } = expectActorMatchesStepper(witnessMachine, { leaseUs: 1e9, skewUs: 0 }, events);
    expect(sent.map((m) => m.event.type)).toEqual([
      'lease.granted',
      'lease.denied',
      'lease.degraded',
      'lease.protected',
      'lease.granted',
    ]);
  });
});
