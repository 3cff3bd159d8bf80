// Unit tests of the pinger's transitions, including the failure paths (timeout, retransmit, give up),
// and proof that it runs unchanged as an ordinary XState actor, with the same results as under the kernel.

import { describe, expect, it } from 'vitest';
import { pingerMachine, pingerSampleEvents } from '../../machines/pingerMachine.js';
import { MachineStepper } from '../../src/kernel/stepper.js';
import { expectActorMatchesStepper } from './helpers.js';

const input = { peer: 'hostB/ponger', self: 'hostA/pinger', pingCount: 2, timeoutUs: 500, maxRetries: 1 };

describe('pingerMachine', () => {
  it('sends ping #1 on start and arms its timeout', () => {
    const out = new MachineStepper(pingerMachine, input).initial(input);
    expect(out.snapshot.value).toBe('waiting');
    expect(out.actions).toEqual([
      {
        type: 'xstate.emit',
        params: {
          event: { type: 'send', to: 'hostB/ponger', event: { type: 'ping.echo', seq: 1, replyTo: 'hostA/pinger' } },
        },
      },
      { type: 'xstate.raise', params: { event: { type: 'ping.timedOut' }, id: 'ping.timeout', delay: 500 } },
    ]);
  });

  it('moves to the next ping on the matching reply, cancelling the timeout', () => {
    const s = new MachineStepper(pingerMachine, input);
    const out = s.step(s.initial(input).snapshot, { type: 'ping.echoed', seq: 1 });
    expect(out.snapshot.value).toBe('waiting');
    expect(out.snapshot.context).toMatchObject({ seq: 2, repliedCount: 1, sentCount: 2 });
    expect(out.actions.map((a) => a.type)).toEqual(['xstate.cancel', 'xstate.emit', 'xstate.raise']);
  });

  it('ignores a stale reply but counts it', () => {
    const s = new MachineStepper(pingerMachine, input);
    const out = s.step(s.initial(input).snapshot, { type: 'ping.echoed', seq: 7 });
    expect(out.snapshot.value).toBe('waiting');
    expect(out.snapshot.context).toMatchObject({ seq: 1, repliedCount: 0, staleReplyCount: 1 });
    expect(out.actions).toEqual([]);
  });

  it('retransmits on timeout, then gives up after maxRetries and moves on', () => {
    const s = new MachineStepper(pingerMachine, input);
    let snap = s.initial(input).snapshot;
    const retry = s.step(snap, { type: 'ping.timedOut' });
    expect(retry.snapshot.context).toMatchObject({ seq: 1, retries: 1, retransmitCount: 1, sentCount: 2 });
    snap = retry.snapshot;
    const giveUp = s.step(snap, { type: 'ping.timedOut' });
    expect(giveUp.snapshot.context).toMatchObject({ seq: 2, retries: 0, gaveUpCount: 1 });
    expect(giveUp.snapshot.value).toBe('waiting');
  });

  it('finishes after the last ping', () => {
    const s = new MachineStepper(pingerMachine, input);
    let snap = s.initial(input).snapshot;
    snap = s.step(snap, { type: 'ping.echoed', seq: 1 }).snapshot;
    snap = s.step(snap, { type: 'ping.echoed', seq: 2 }).snapshot;
    expect(snap.value).toBe('done');
    expect(snap.status).toBe('done');
  });

  it('runs as an ordinary XState actor with the same results as under the kernel', () => {
    // The reply to ping #2 finishes the pinger: the helper feeds nothing after that, as the kernel drops it too.
    const { sent } = expectActorMatchesStepper(pingerMachine, input, [
      ...pingerSampleEvents,
      { type: 'ping.echoed' as const, seq: 2 },
    ]);
    expect(sent.map((m) => m.event.seq)).toEqual([1, 2]);
  });
});
