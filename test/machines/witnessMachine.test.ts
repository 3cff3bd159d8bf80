// Unit tests of the witness's lease: grant, renewal, denial of a second host, expiry and hand-over,
// and proof that it runs unchanged as an ordinary XState actor, with the same results as under the kernel.

import { describe, expect, it } from 'vitest';
import type { WitnessEvent } from '../../machines/haEvents.js';
import { type WitnessContext, witnessMachine, witnessSampleEvents } from '../../machines/witnessMachine.js';
import { cancelAction, expectActorMatchesStepper, raiseAction, sendAction, stepThrough } from './helpers.js';

const input = { leaseUs: 2000, skewUs: 150 };

const acquire = (holder: string, requestId: number): WitnessEvent => ({
  type: 'lease.acquire',
  holder,
  replyTo: `${holder}/${holder === 'hostA' ? 'coordinator' : 'replica'}`,
  requestId,
});

const expiryTimer = raiseAction({ type: 'lease.expired' }, 'witness.lease', 2150);

const reply = (type: 'lease.granted' | 'lease.denied', holder: string, requestId: number) =>
  sendAction(`${holder}/${holder === 'hostA' ? 'coordinator' : 'replica'}`, { type, holder, requestId });

function run(events: readonly WitnessEvent[]) {
  const { stepper, out } = stepThrough(witnessMachine, input, events);
  return { stepper, out, ctx: out.snapshot.context as WitnessContext };
}

describe('witnessMachine', () => {
  it('starts free with nobody holding the lease', () => {
    const { out, ctx } = run([]);
    expect(out.snapshot.value).toBe('free');
    expect(ctx).toEqual({
      leaseUs: 2000,
      skewUs: 150,
      holder: null,
      lastHolder: null,
      grants: 0,
      denials: 0,
      holderChanges: 0,
    });
    expect(out.actions).toEqual([]);
  });

  it('grants a free lease and arms its expiry at leaseUs + skewUs', () => {
    const { out, ctx } = run([acquire('hostA', 1)]);
    expect(out.snapshot.value).toBe('held');
    expect(ctx).toMatchObject({ holder: 'hostA', grants: 1, holderChanges: 1 });
    expect(out.actions).toEqual([expiryTimer, reply('lease.granted', 'hostA', 1)]);
  });

  it('renews for the holder, replacing the pending expiry', () => {
    const { out, ctx } = run([acquire('hostA', 1), acquire('hostA', 2)]);
    expect(out.snapshot.value).toBe('held');
    expect(ctx).toMatchObject({ holder: 'hostA', grants: 2, holderChanges: 1, denials: 0 });
    expect(out.actions).toEqual([cancelAction('witness.lease'), expiryTimer, reply('lease.granted', 'hostA', 2)]);
  });

  it('denies another host while the lease is held', () => {
    const { out, ctx } = run([acquire('hostA', 1), acquire('hostB', 7)]);
    expect(out.snapshot.value).toBe('held');
    expect(ctx).toMatchObject({ holder: 'hostA', grants: 1, denials: 1 });
    expect(out.actions).toEqual([reply('lease.denied', 'hostB', 7)]);
  });

  it('frees the lease on expiry and ignores a stale expiry when free', () => {
    const { stepper, out, ctx } = run([acquire('hostA', 1), { type: 'lease.expired' }]);
    expect(out.snapshot.value).toBe('free');
    expect(ctx.holder).toBeNull();
    expect(out.actions).toEqual([]);
    const stale = stepper.step(out.snapshot, { type: 'lease.expired' });
    expect(stale.snapshot.value).toBe('free');
    expect(stale.snapshot.context).toEqual(out.snapshot.context);
  });

  it('hands the lease over to another host after expiry, counting the change', () => {
    const { out, ctx } = run([
      acquire('hostA', 1),
      acquire('hostB', 1),
      { type: 'lease.expired' },
      acquire('hostB', 2),
    ]);
    expect(out.snapshot.value).toBe('held');
    expect(ctx).toMatchObject({ holder: 'hostB', grants: 2, denials: 1, holderChanges: 2 });
    expect(out.actions).toEqual([expiryTimer, reply('lease.granted', 'hostB', 2)]);
    // The old holder is now the one denied.
    const { out: denied } = run([
      acquire('hostA', 1),
      { type: 'lease.expired' },
      acquire('hostB', 1),
      acquire('hostA', 2),
    ]);
    expect(denied.actions).toEqual([reply('lease.denied', 'hostA', 2)]);
  });

  it('does not count a re-acquisition by the same host after expiry as a change of holder', () => {
    const { ctx } = run([acquire('hostA', 1), { type: 'lease.expired' }, acquire('hostA', 2)]);
    expect(ctx).toMatchObject({ holder: 'hostA', grants: 2, holderChanges: 1 });
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // A long lease: XState's timers are real setTimeouts here, and none may fire during the test.
    const slow = { leaseUs: 1e6, skewUs: 1 };
    const { sent } = expectActorMatchesStepper(witnessMachine, slow, [...witnessSampleEvents, acquire('hostB', 2)]);
    expect(sent.map((m) => `${m.event.type} ${m.event.holder}`)).toEqual([
      'lease.granted hostA',
      'lease.denied hostB',
      'lease.granted hostB',
    ]);
  });
});
